using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.GitHub;

/// <summary>
/// The pull request a run belongs to: from <c>GITHUB_REF</c> (<c>refs/pull/N/merge</c> or <c>refs/pull/N/head</c>), else
/// from the event payload at <c>GITHUB_EVENT_PATH</c> (<c>pull_request.number</c>, or <c>issue.number</c> for a comment
/// on a pull request).
/// </summary>
public static partial class PullRequestNumber
{
    /// <summary>The pull request's number, or null when the run is not for one.</summary>
    /// <exception cref="InvalidOperationException">GITHUB_EVENT_PATH names a file that is missing or not JSON.</exception>
    public static int? Find(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (variables.GetValueOrDefault("GITHUB_REF") is { } gitRef && PullRef().Match(gitRef) is { Success: true } match)
        {
            return int.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture);
        }

        if (variables.GetValueOrDefault("GITHUB_EVENT_PATH") is not { Length: > 0 } eventPath)
        {
            return null;
        }

        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(File.ReadAllText(eventPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidOperationException($"GITHUB_EVENT_PATH {eventPath} cannot be read as the event's JSON payload: {e.Message}", e);
        }

        using (payload)
        {
            var root = payload.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("pull_request", out var pullRequest) && NumberOf(pullRequest) is { } number)
            {
                return number;
            }

            // issue_comment events: an issue with a pull_request key is a pull request.
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object &&
                issue.TryGetProperty("pull_request", out _) && NumberOf(issue) is { } issueNumber)
            {
                return issueNumber;
            }

            return null;
        }
    }

    private static int? NumberOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("number", out var number) && number.TryGetInt32(out var value) && value > 0 ? value : null;

    [GeneratedRegex("^refs/pull/(?<number>[0-9]+)/(merge|head)$", RegexOptions.CultureInvariant)]
    private static partial Regex PullRef();
}
