using Octokit;
using Slipway.Processes;

namespace Slipway.GitHub;

/// <summary>What <see cref="PullRequestComments.UpsertAsync"/> did.</summary>
/// <param name="Id">The comment's id.</param>
/// <param name="Url">The comment's page.</param>
/// <param name="Created">True when a new comment was posted, false when Slipway's earlier one was edited.</param>
public sealed record PostedComment(long Id, string Url, bool Created);

/// <summary>
/// Keeps one comment of Slipway's on a pull request up to date: the comment is found again by a hidden marker (an HTML
/// comment GitHub does not render) and edited, so every push updates it instead of adding another.
/// </summary>
public sealed class PullRequestComments
{
    private readonly GitHubConnection _connection;
    private readonly IGitHubClient _client;

    /// <summary>Creates the commenter for <paramref name="connection"/>.</summary>
    public PullRequestComments(GitHubConnection connection)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _client = connection.CreateClient();
    }

    /// <summary><c>&lt;!-- slipway:KEY --&gt;</c>: the marker a comment about <paramref name="key"/> starts with.</summary>
    public static string Marker(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return $"<!-- slipway:{key} -->";
    }

    /// <summary>
    /// Posts <paramref name="body"/> on pull request <paramref name="number"/> behind <paramref name="marker"/>, or edits
    /// the earliest comment that already carries the marker.
    /// </summary>
    /// <exception cref="ApiException">GitHub refused; the message says why (the caller reports it).</exception>
    public async Task<PostedComment> UpsertAsync(int number, string marker, string body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(marker);
        ArgumentNullException.ThrowIfNull(body);
        var text = marker + "\n" + Redaction.Scrub(body);
        var comments = await _client.Issue.Comment.GetAllForIssue(_connection.Owner, _connection.Name, number);
        var ours = comments.FirstOrDefault(c => c.Body?.Contains(marker, StringComparison.Ordinal) == true);
        if (ours is null)
        {
            var created = await _client.Issue.Comment.Create(_connection.Owner, _connection.Name, number, text);
            return new PostedComment(created.Id, created.HtmlUrl, Created: true);
        }

        var updated = await _client.Issue.Comment.Update(_connection.Owner, _connection.Name, ours.Id, text);
        return new PostedComment(updated.Id, updated.HtmlUrl, Created: false);
    }
}
