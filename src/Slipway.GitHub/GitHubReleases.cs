using Octokit;
using Slipway.Processes;

namespace Slipway.GitHub;

/// <summary>What <see cref="GitHubReleases.PublishAsync"/> did.</summary>
/// <param name="Id">The release's id on GitHub.</param>
/// <param name="Url">The release's page.</param>
/// <param name="Created">True when created, false when an existing release of the tag was updated.</param>
public sealed record PublishedRelease(long Id, string Url, bool Created);

/// <summary>
/// Creates the GitHub Release of a tag, or updates it when the tag already has one (a re-run of the release workflow),
/// so running it twice leaves one release with the latest notes.
/// </summary>
public sealed class GitHubReleases
{
    private readonly GitHubConnection _connection;
    private readonly IGitHubClient _client;

    /// <summary>Creates the publisher for <paramref name="connection"/>.</summary>
    public GitHubReleases(GitHubConnection connection)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _client = connection.CreateClient();
    }

    /// <summary>
    /// Publishes the release of <paramref name="tag"/>: looks it up by tag, then creates it (on
    /// <paramref name="commit"/> when the tag does not exist yet) or updates its name and notes.
    /// </summary>
    /// <exception cref="ApiException">GitHub refused; the message says why (the caller reports it).</exception>
    public async Task<PublishedRelease> PublishAsync(string tag, string commit, string name, string notes, bool prerelease)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentException.ThrowIfNullOrWhiteSpace(commit);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(notes);
        var body = Redaction.Scrub(notes);
        Release? existing;
        try
        {
            existing = await _client.Repository.Release.Get(_connection.Owner, _connection.Name, tag);
        }
        catch (NotFoundException)
        {
            existing = null;
        }

        if (existing is null)
        {
            var created = await _client.Repository.Release.Create(_connection.Owner, _connection.Name, new NewRelease(tag)
            {
                TargetCommitish = commit,
                Name = name,
                Body = body,
                Prerelease = prerelease,
                Draft = false,
            });
            return new PublishedRelease(created.Id, created.HtmlUrl, Created: true);
        }

        var updated = await _client.Repository.Release.Edit(_connection.Owner, _connection.Name, existing.Id, new ReleaseUpdate
        {
            Name = name,
            Body = body,
            Prerelease = prerelease,
        });
        return new PublishedRelease(updated.Id, updated.HtmlUrl, Created: false);
    }
}
