using System.Net.Http;
using Octokit;
using Slipway.Processes;

namespace Slipway.GitHub;

/// <summary>Telling GitHub's failures (refusals, no answer) from the caller's own, and saying what they were.</summary>
public static class GitHubApiFailure
{
    /// <summary>True for Octokit's refusals, transport errors and timeouts: GitHub's problems, not the deploy's.</summary>
    public static bool Is(Exception e) => e is ApiException or HttpRequestException or TaskCanceledException or TimeoutException;

    /// <summary>What went wrong talking to GitHub, for a message: the HTTP status and GitHub's message when there is one; scrubbed.</summary>
    public static string Explain(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Redaction.Scrub(e switch
        {
            ApiException api => $"HTTP {(int)api.StatusCode}: {api.Message}",
            TaskCanceledException => "no answer in time",
            _ => e.Message,
        });
    }
}
