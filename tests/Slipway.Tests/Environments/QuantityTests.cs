using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class QuantityTests
{
    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("7d", 7 * 24 * 3600)]
    public void Durations_parse_and_print_back(string text, int seconds)
    {
        var duration = Duration.Parse(text);

        Assert.Equal(TimeSpan.FromSeconds(seconds), duration.Value);
        Assert.Equal(duration, Duration.Parse(duration.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("0s")]
    [InlineData("30m1h")]
    [InlineData("1h 30m")]
    [InlineData("1.5h")]
    [InlineData("-5m")]
    public void Durations_reject_ambiguous_text(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData("512Mi", 512L << 20, "512Mi")]
    [InlineData("1Gi", 1L << 30, "1Gi")]
    [InlineData("1024Mi", 1L << 30, "1Gi")]
    [InlineData("500M", 500_000_000L, "500M")]
    public void Sizes_parse_and_print_canonically(string text, long bytes, string canonical)
    {
        var size = ByteSize.Parse(text);

        Assert.Equal(bytes, size.Bytes);
        Assert.Equal(canonical, size.ToString());
    }

    [Theory]
    [InlineData("512MB")]
    [InlineData("1.5Gi")]
    [InlineData("0")]
    [InlineData("Mi")]
    public void Sizes_reject_other_notations(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData("250m", 250, "250m")]
    [InlineData("0.5", 500, "500m")]
    [InlineData("2", 2000, "2")]
    public void Cpu_quantities_accept_millicores_and_cores(string text, int millicores, string canonical)
    {
        var cpu = CpuQuantity.Parse(text);

        Assert.Equal(millicores, cpu.Millicores);
        Assert.Equal(canonical, cpu.ToString());
    }
}
