using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>The record beside a saved Terraform plan: round trip, refusal, hash, and a bad file.</summary>
public sealed class SavedInfraPlanTests
{
    [Fact]
    public void A_record_round_trips_and_a_refused_one_says_so()
    {
        var directory = TestPaths.NewTempDirectory();
        var path = Path.Combine(directory, "infra", "plan.json");
        var created = new DateTimeOffset(2026, 11, 22, 18, 0, 0, TimeSpan.Zero);
        var saved = new SavedInfraPlan("prod", "infra/production", "0123456789abcdef", "sha256:" + new string('a', 64), created, []);
        saved.Write(path);

        var read = SavedInfraPlan.ReadOrNull(path)!;
        Assert.Equal(saved with { RefusedDestroying = [] }, read with { RefusedDestroying = [] });
        Assert.False(read.IsRefused);

        new SavedInfraPlan("prod", "infra/production", "0123456789abcdef", null, created, ["aws_db_instance.orders"]).Write(path);
        Assert.Equal(["aws_db_instance.orders"], SavedInfraPlan.ReadOrNull(path)!.RefusedDestroying);
        Assert.True(SavedInfraPlan.ReadOrNull(path)!.IsRefused);
        Assert.Null(SavedInfraPlan.ReadOrNull(Path.Combine(directory, "missing.json")));
    }

    [Fact]
    public void The_hash_is_the_files_sha256()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "plan.tfplan");
        File.WriteAllText(path, "abc");

        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", SavedInfraPlan.HashOf(path));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"environment":"prod"}""")]
    [InlineData("""{"environment":"prod","stack":"s","commit":"c","planSha256":null,"created":"2026-11-22T18:00:00Z","refusedDestroying":[],"extra":1}""")]
    public void A_file_that_is_not_a_record_says_to_plan_again(string text)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "plan.json");
        File.WriteAllText(path, text);

        var error = Assert.ThrowsAny<InvalidOperationException>(() => SavedInfraPlan.ReadOrNull(path));
        Assert.Contains("is not a saved-plan record", error.Message, StringComparison.Ordinal);
        Assert.Contains("run InfraPlan again", error.Message, StringComparison.Ordinal);
    }
}
