using Slipway.Delivery;
using Slipway.GitHub;

namespace Slipway.Tests.GitHub;

public sealed class GitHubReleasesTests
{
    private const string ApiDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string WorkerDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string Commit = "40746c1cd1f9a3e5b7c9d0e1f2a3b4c5d6e7f809";

    private static readonly ReleaseManifest Release = new(
        "1.4.0",
        Commit,
        new DateTimeOffset(2026, 11, 20, 9, 30, 0, TimeSpan.Zero),
        "ghcr.io",
        [
            new ReleasedImage("worker", "ghcr.io/octo-org/worker", "1.4.0", WorkerDigest),
            new ReleasedImage("api", "ghcr.io/octo-org/api", "1.4.0", ApiDigest, "artifacts/sbom/api.image.cdx.json"),
        ]);

    [Fact]
    public void The_notes_list_every_digest_every_sbom_and_where_the_signatures_and_attestations_are()
    {
        var notes = ReleaseNotes.Render(Release, ["artifacts/sbom/api.project.cdx.json", "artifacts/sbom/api.image.cdx.json"]);

        Assert.Contains($"| api | `ghcr.io/octo-org/api:1.4.0` | `{ApiDigest}` |", notes, StringComparison.Ordinal);
        Assert.Contains($"| worker | `ghcr.io/octo-org/worker:1.4.0` | `{WorkerDigest}` |", notes, StringComparison.Ordinal);
        Assert.Contains("- `artifacts/sbom/api.image.cdx.json` (image of api, attested)", notes, StringComparison.Ordinal);
        Assert.Contains("- `artifacts/sbom/api.project.cdx.json`\n", notes, StringComparison.Ordinal);
        Assert.Contains("| api | `ghcr.io/octo-org/api:sha256-1111111111111111111111111111111111111111111111111111111111111111.sig` | `ghcr.io/octo-org/api:sha256-1111111111111111111111111111111111111111111111111111111111111111.att` (cyclonedx) |", notes, StringComparison.Ordinal);
        Assert.Contains("| worker | `ghcr.io/octo-org/worker:sha256-2222222222222222222222222222222222222222222222222222222222222222.sig` | none (no SBOM) |", notes, StringComparison.Ordinal);
        Assert.Contains($"cosign verify-attestation --type cyclonedx ghcr.io/octo-org/api@{ApiDigest} <policy flags>", notes, StringComparison.Ordinal);
        Assert.DoesNotContain($"verify-attestation --type cyclonedx ghcr.io/octo-org/worker@", notes, StringComparison.Ordinal);
        Assert.Contains($"commit `{Commit}`", notes, StringComparison.Ordinal);
        Assert.True(notes.IndexOf("| api |", StringComparison.Ordinal) < notes.IndexOf("| worker |", StringComparison.Ordinal), "images are listed by service name");
    }

    [Fact]
    public async Task A_tag_without_a_release_gets_one_created_on_the_commit()
    {
        await using var api = new FakeGitHubApi()
            .On("POST", "^/repos/octo-org/slipway/releases$", 201, new { id = 9, html_url = "https://github.com/octo-org/slipway/releases/tag/v1.4.0", tag_name = "v1.4.0" });

        var published = await new GitHubReleases(api.Connection()).PublishAsync("v1.4.0", Commit, "1.4.0", "the notes", prerelease: false);

        Assert.Equal(new PublishedRelease(9, "https://github.com/octo-org/slipway/releases/tag/v1.4.0", Created: true), published);
        Assert.Equal(["GET /repos/octo-org/slipway/releases/tags/v1.4.0", "POST /repos/octo-org/slipway/releases"], api.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(api.Requests, r => Assert.Equal("Token " + FakeGitHubApi.Token, r.Authorization));
        var body = FakeGitHubApi.BodyOf(api.Requests[1]);
        Assert.Equal("v1.4.0", body.GetProperty("tag_name").GetString());
        Assert.Equal(Commit, body.GetProperty("target_commitish").GetString());
        Assert.Equal("1.4.0", body.GetProperty("name").GetString());
        Assert.Equal("the notes", body.GetProperty("body").GetString());
        Assert.False(body.GetProperty("draft").GetBoolean());
        Assert.False(body.GetProperty("prerelease").GetBoolean());
    }

    [Fact]
    public async Task A_tag_that_already_has_a_release_gets_its_notes_updated_not_a_second_release()
    {
        await using var api = new FakeGitHubApi()
            .On("GET", "^/repos/octo-org/slipway/releases/tags/v1.4.0-rc.1$", 200, new { id = 77, tag_name = "v1.4.0-rc.1", body = "old notes" })
            .On("PATCH", "^/repos/octo-org/slipway/releases/77$", 200, new { id = 77, html_url = "https://github.com/octo-org/slipway/releases/tag/v1.4.0-rc.1" });

        var published = await new GitHubReleases(api.Connection()).PublishAsync("v1.4.0-rc.1", Commit, "1.4.0-rc.1", ReleaseNotes.Render(Release, []), prerelease: true);

        Assert.False(published.Created);
        Assert.Equal(77, published.Id);
        Assert.Equal(["GET /repos/octo-org/slipway/releases/tags/v1.4.0-rc.1", "PATCH /repos/octo-org/slipway/releases/77"], api.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        var body = FakeGitHubApi.BodyOf(api.Requests[1]);
        Assert.Contains(ApiDigest, body.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("prerelease").GetBoolean());
        Assert.Equal("1.4.0-rc.1", body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_refusal_surfaces_with_githubs_message()
    {
        await using var api = new FakeGitHubApi().On("POST", "/releases$", 403, new { message = "Resource not accessible by integration" });

        var refused = await Assert.ThrowsAsync<Octokit.ForbiddenException>(() => new GitHubReleases(api.Connection()).PublishAsync("v1.4.0", Commit, "1.4.0", "notes", prerelease: false));

        Assert.Equal("HTTP 403: Resource not accessible by integration", GitHubApiFailure.Explain(refused));
    }
}

public sealed class ReleaseTagTests
{
    [Theory]
    [InlineData(null, "refs/tags/v1.4.0", "v1.4.0")]
    [InlineData(null, "refs/tags/v2.0.0-rc.1", "v2.0.0-rc.1")]
    [InlineData(null, "refs/tags/nightly", null)]
    [InlineData(null, "refs/heads/main", null)]
    [InlineData(null, "refs/pull/3/merge", null)]
    [InlineData("v9.9.9", "refs/tags/v1.4.0", "v9.9.9")]
    [InlineData(" ", "refs/tags/v1.4.0", "v1.4.0")]
    public void The_tag_is_the_option_else_a_v_tag_of_github_ref(string? option, string gitRef, string? expected) =>
        Assert.Equal(expected, ReleaseTag.Find(option, new Dictionary<string, string> { ["GITHUB_REF"] = gitRef }));

    [Theory]
    [InlineData("v1.4.0", "1.4.0", true)]
    [InlineData("1.4.0", "1.4.0", true)]
    [InlineData("v1.4.0", "1.4.1", false)]
    [InlineData("vv1.4.0", "1.4.0", false)]
    public void A_tag_names_a_version_with_or_without_v(string tag, string version, bool expected) =>
        Assert.Equal(expected, ReleaseTag.Names(tag, version));
}
