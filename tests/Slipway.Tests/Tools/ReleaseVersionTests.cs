using Slipway.Tools.Git;

namespace Slipway.Tests.Tools;

/// <summary>Every rule of the version precedence, sanitising and Docker tag conversion.</summary>
public sealed class ReleaseVersionTests
{
    private const string Sha = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B";

    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData(" 2.0.0-rc.1 ", "2.0.0-rc.1")]
    [InlineData("1.0.0-alpha.beta.1+build.5.sha-abc", "1.0.0-alpha.beta.1+build.5.sha-abc")]
    public void An_explicit_version_wins_over_tag_and_branch(string explicitVersion, string expected) =>
        Assert.Equal(expected, ReleaseVersion.Compute(explicitVersion, "v9.9.9", "main", 10, Sha));

    [Theory]
    [InlineData("HEAD", "refs/pull/7/merge", "pr-7")]
    [InlineData("", "refs/pull/1234/head", "pr-1234")]
    [InlineData("HEAD", "refs/heads/feature/login", "feature/login")]
    [InlineData("main", "refs/pull/7/merge", "main")]
    [InlineData("HEAD", "refs/tags/v1.2.3", null)]
    [InlineData("HEAD", "refs/pull/x/merge", null)]
    [InlineData("HEAD", "refs/pull/7/merge/../../x", null)]
    [InlineData("HEAD", null, null)]
    public void A_detached_CI_checkout_is_named_by_its_GitHub_ref(string gitBranch, string? githubRef, string? expected) =>
        Assert.Equal(expected, ReleaseVersion.CiBranch(gitBranch, githubRef));

    [Fact]
    public void A_pull_request_build_says_which_pull_request_it_built() =>
        Assert.Equal("0.0.0-pr-7.377+9f86d08", ReleaseVersion.Compute(null, null, ReleaseVersion.CiBranch("HEAD", "refs/pull/7/merge")!, 377, Sha));

    [Theory]
    [InlineData("1.2")]
    [InlineData("01.2.3")]
    [InlineData("1.2.3-01")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3+")]
    [InlineData("1.2.3-a..b")]
    [InlineData("1.2.3-feature/x")]
    [InlineData("V1.2.3")]
    [InlineData("latest")]
    public void An_explicit_version_that_is_not_semver_is_refused_with_the_accepted_forms(string explicitVersion)
    {
        var error = Assert.Throws<FormatException>(() => ReleaseVersion.Compute(explicitVersion, null, "main", 1, Sha));

        Assert.Contains($"'{explicitVersion}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("MAJOR.MINOR.PATCH", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void A_blank_explicit_version_counts_as_absent(string? explicitVersion) =>
        Assert.Equal("1.4.0", ReleaseVersion.Compute(explicitVersion, "v1.4.0", "main", 3, Sha));

    [Theory]
    [InlineData("v1.4.0", "1.4.0")]
    [InlineData("1.4.0-rc.2", "1.4.0-rc.2")]
    public void A_semver_tag_on_head_is_the_version(string tag, string expected) =>
        Assert.Equal(expected, ReleaseVersion.Compute(null, tag, "HEAD", 77, Sha));

    [Theory]
    [InlineData("release-2024-06")]
    [InlineData("v1.4")]
    [InlineData("nightly")]
    public void A_tag_that_is_not_semver_is_ignored(string tag) =>
        Assert.Equal("0.0.0-main.12+9f86d08", ReleaseVersion.Compute(null, tag, "main", 12, Sha));

    [Theory]
    [InlineData("main", "0.0.0-main.5+9f86d08")]
    [InlineData("feature/login_page", "0.0.0-feature-login-page.5+9f86d08")]
    [InlineData("users/ann//fix#12", "0.0.0-users-ann-fix-12.5+9f86d08")]
    [InlineData("dependabot/nuget/Polly-8.9.1", "0.0.0-dependabot-nuget-Polly-8-9-1.5+9f86d08")]
    [InlineData("HEAD", "0.0.0-detached.5+9f86d08")]
    [InlineData("", "0.0.0-detached.5+9f86d08")]
    [InlineData("007", "0.0.0-branch-007.5+9f86d08")]
    [InlineData("/_/", "0.0.0-branch.5+9f86d08")]
    public void Without_version_or_tag_the_branch_height_and_short_sha_make_a_prerelease(string branch, string expected)
    {
        var version = ReleaseVersion.Compute(null, null, branch, 5, Sha);

        Assert.Equal(expected, version);
        Assert.True(ReleaseVersion.IsSemVer(version));
    }

    [Theory]
    [InlineData("abc12")]
    [InlineData("zzzzzzzz")]
    public void A_commit_id_that_is_not_hex_is_refused(string sha) =>
        Assert.Throws<ArgumentException>(() => ReleaseVersion.Compute(null, null, "main", 1, sha));

    [Fact]
    public void A_negative_height_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReleaseVersion.Compute(null, null, "main", -1, Sha));

    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("1.2.3-rc.1", "1.2.3-rc.1")]
    [InlineData("0.0.0-main.5+9f86d08", "0.0.0-main.5-9f86d08")]
    [InlineData("1.0.0+build_7", "1.0.0-build_7")]
    public void Docker_tags_replace_build_metadata_plus(string version, string expected) =>
        Assert.Equal(expected, ReleaseVersion.DockerTag(version));

    [Fact]
    public void An_over_long_docker_tag_keeps_its_commit_suffix()
    {
        var version = ReleaseVersion.Compute(null, null, "feature/" + new string('x', 200), 5, Sha);

        var tag = ReleaseVersion.DockerTag(version);

        Assert.Equal(ReleaseVersion.MaxDockerTagLength, tag.Length);
        Assert.StartsWith("0.0.0-feature-xxx", tag, StringComparison.Ordinal);
        Assert.EndsWith("-9f86d08", tag, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", tag);
    }

    [Fact]
    public void A_tag_never_starts_with_a_dot_or_dash() =>
        Assert.Equal("_beta", ReleaseVersion.DockerTag("-beta"));

    [Theory]
    [InlineData("0.0.0-main.42+9f86d08", "0.0.0-main.42.dirty-1a2b3c4d5e+9f86d08")]
    [InlineData("1.2.0", "1.2.0-dirty-1a2b3c4d5e")]
    [InlineData("1.2.0-rc.1", "1.2.0-rc.1.dirty-1a2b3c4d5e")]
    [InlineData("1.2.0+build.7", "1.2.0-dirty-1a2b3c4d5e+build.7")]
    public void Uncommitted_work_gets_a_prerelease_of_its_own_named_by_its_fingerprint(string version, string expected)
    {
        var marked = ReleaseVersion.MarkUncommitted(version, "1A2B3C4D5E");

        Assert.Equal(expected, marked);
        Assert.True(ReleaseVersion.IsSemVer(marked));
        Assert.NotEqual(ReleaseVersion.DockerTag(version), ReleaseVersion.DockerTag(marked));
    }

    [Fact]
    public void An_all_digit_fingerprint_still_makes_a_valid_version() =>
        Assert.True(ReleaseVersion.IsSemVer(ReleaseVersion.MarkUncommitted("0.0.0-main.1+9f86d08", "0123456789")));

    [Fact]
    public void A_fingerprint_that_is_not_hex_is_refused() =>
        Assert.Throws<ArgumentException>(() => ReleaseVersion.MarkUncommitted("1.0.0", "not+hex"));

    [Fact]
    public void An_over_long_docker_tag_of_uncommitted_work_keeps_its_fingerprint()
    {
        var branch = "feature/" + new string('x', 200);
        var one = ReleaseVersion.DockerTag(ReleaseVersion.MarkUncommitted(ReleaseVersion.Compute(null, null, branch, 5, Sha), "1a2b3c4d5e"));
        var other = ReleaseVersion.DockerTag(ReleaseVersion.MarkUncommitted(ReleaseVersion.Compute(null, null, branch, 5, Sha), "ffffffffff"));

        Assert.Equal(ReleaseVersion.MaxDockerTagLength, one.Length);
        Assert.EndsWith("dirty-1a2b3c4d5e-9f86d08", one, StringComparison.Ordinal);
        Assert.NotEqual(one, other);
    }
}
