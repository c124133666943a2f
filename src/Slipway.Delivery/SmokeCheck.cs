using System.Diagnostics;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// One named, time-bounded check of a running stack: "the seeded order is readable", "a new order is processed".
/// The check returns a short detail on success and throws on failure; running out of time is a failure that
/// names the last thing the check saw.
/// </summary>
/// <param name="Name">What is checked, as the table shows it.</param>
/// <param name="Timeout">How long the whole check may take, retries included.</param>
/// <param name="Check">The work: returns a short detail ("200, status processed") or throws with the reason.</param>
public sealed record SmokeCheck(string Name, TimeSpan Timeout, Func<SmokeCheckProgress, CancellationToken, Task<string>> Check)
{
    /// <summary>
    /// A check that retries <paramref name="attempt"/> every <paramref name="interval"/> until it reports done, for
    /// things that become true (a stack that becomes ready, an order that becomes processed). Each attempt returns
    /// whether it is done and what it saw; what it saw last is the failure's detail when time runs out.
    /// </summary>
    public static SmokeCheck Polling(string name, TimeSpan timeout, TimeSpan interval, Func<CancellationToken, Task<(bool Done, string Seen)>> attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new SmokeCheck(name, timeout, async (progress, cancellationToken) =>
        {
            while (true)
            {
                var (done, seen) = await attempt(cancellationToken);
                progress.Saw(seen);
                if (done)
                {
                    return seen;
                }

                await Task.Delay(interval, cancellationToken);
            }
        });
    }

    /// <summary>
    /// Runs the check within <see cref="Timeout"/>. Never throws for the check's own failure or timeout (they are
    /// the result); throws <see cref="OperationCanceledException"/> only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<SmokeCheckResult> RunAsync(CancellationToken cancellationToken)
    {
        var progress = new SmokeCheckProgress();
        var stopwatch = Stopwatch.StartNew();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Timeout);
        try
        {
            var detail = await Check(progress, bounded.Token);
            return new SmokeCheckResult(Name, SmokeCheckStatus.Passed, stopwatch.Elapsed, Redaction.Scrub(detail));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The check's own bound (or an HTTP client's timeout inside it): a failure, not a cancellation.
            var last = progress.Last is null ? string.Empty : $"; last seen: {progress.Last}";
            return new SmokeCheckResult(Name, SmokeCheckStatus.Failed, stopwatch.Elapsed, Redaction.Scrub($"no success within {LedgerTable.Duration(Timeout)}{last}"));
        }
#pragma warning disable CA1031 // Whatever a check throws is that check's failure, reported in its row and in the target's error.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new SmokeCheckResult(Name, SmokeCheckStatus.Failed, stopwatch.Elapsed, Redaction.Scrub(ex.Message));
        }
    }
}

/// <summary>What a running check has seen so far; the last observation explains a timeout.</summary>
public sealed class SmokeCheckProgress
{
    /// <summary>The last observation, or null when the check has reported none.</summary>
    public string? Last { get; private set; }

    /// <summary>Records an observation ("503 from the proxy", "status pending").</summary>
    public void Saw(string observation) => Last = observation;
}

/// <summary>How a check ended.</summary>
public enum SmokeCheckStatus
{
    /// <summary>The check passed.</summary>
    Passed,

    /// <summary>The check failed or ran out of time.</summary>
    Failed,

    /// <summary>An earlier check failed, so this one did not run.</summary>
    NotRun,
}

/// <summary>The outcome of one <see cref="SmokeCheck"/>.</summary>
/// <param name="Name">The check's name.</param>
/// <param name="Status">Passed, failed or not run.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Detail">What it saw on success, or why it failed (scrubbed of secrets).</param>
public sealed record SmokeCheckResult(string Name, SmokeCheckStatus Status, TimeSpan Duration, string Detail);
