using Slipway.Environments;

namespace Slipway.Tests.Environments;

public sealed class ResourceNameTests
{
    [Theory]
    [InlineData("api")]
    [InlineData("a")]
    [InlineData("order-worker-2")]
    [InlineData("x123456789012345678901234567890123456789012345678901234567890ab")]
    public void A_lowercase_dns_label_is_a_name(string name) => Assert.True(ResourceName.IsValid(name));

    [Theory]
    [InlineData("", null)]
    [InlineData("Api", "api")]
    [InlineData("api\n", "api")]
    [InlineData(" api", "api")]
    [InlineData("my api", "my-api")]
    [InlineData("my_api", "my-api")]
    [InlineData("api-", "api")]
    [InlineData("-api", "api")]
    [InlineData("2api", "api")]
    [InlineData("../../x", "x")]
    [InlineData("..", null)]
    [InlineData("ápi", "pi")]
    [InlineData("x1234567890123456789012345678901234567890123456789012345678901abc", "x1234567890123456789012345678901234567890123456789012345678901a")]
    public void Anything_else_is_refused_with_the_closest_name(string name, string? suggestion)
    {
        Assert.False(ResourceName.IsValid(name));
        Assert.Equal(suggestion, ResourceName.Suggest(name));
        Assert.StartsWith($"{Slipway.Processes.PrintableText.Quote(name)} is not a valid service name: use lowercase letters", ResourceName.Problem("service", name), StringComparison.Ordinal);
    }

    [Fact]
    public void The_pattern_for_the_schema_says_the_same_as_the_check()
    {
        var pattern = new System.Text.RegularExpressions.Regex(ResourceName.Pattern.Replace("$", "\\z", StringComparison.Ordinal));
        foreach (var name in new[] { "api", "a-b", "a", "A", "a-", "-a", "a_b", "a\n", "1a", new string('a', 63), new string('a', 64) })
        {
            Assert.Equal(ResourceName.IsValid(name), pattern.IsMatch(name));
        }
    }
}
