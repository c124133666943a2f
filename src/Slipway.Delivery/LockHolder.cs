namespace Slipway.Delivery;

/// <summary>Who holds an <see cref="EnvironmentLock"/>: the content of the lock file.</summary>
/// <param name="Holder">The user, as <c>user@host</c>.</param>
/// <param name="Pid">The process id of the run holding the lock.</param>
/// <param name="Version">The version that run is deploying.</param>
/// <param name="Acquired">When the lock was taken.</param>
/// <param name="Host">The machine the run is on; a pid only means something on its own host.</param>
public sealed record LockHolder(string Holder, int Pid, string Version, DateTimeOffset Acquired, string Host)
{
    /// <summary>The lease used when none is given: long enough for a renewal to be late under load, short enough that a killed run's lock frees itself.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Until when the lease runs: a live holder renews it (every quarter of the lease); a lock whose lease has run out was
    /// left by a run that stopped renewing (killed, cancelled by CI, its machine gone) and the next run takes it over.
    /// Null in a lock file written before leases, which only the pid check can free.
    /// </summary>
    public DateTimeOffset? LeaseExpires { get; init; }

    /// <summary>The CI run holding the lock (on GitHub Actions, its URL), so a person can see whether it still runs.</summary>
    public string? RunUrl { get; init; }

    /// <summary>The holder describing this process, deploying <paramref name="version"/>, as of now on <paramref name="time"/>, with a lease of <paramref name="lease"/> (default <see cref="DefaultLease"/>).</summary>
    public static LockHolder Current(string version, TimeProvider time, TimeSpan? lease = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        return new(LedgerEntry.CurrentUser, Environment.ProcessId, version, now, Environment.MachineName)
        {
            LeaseExpires = now + (lease ?? DefaultLease),
            RunUrl = GitHubRunUrl(),
        };
    }

    /// <summary>True when <paramref name="other"/> is the same run's lock (its lease may have been renewed since).</summary>
    public bool IsSameRun(LockHolder? other) =>
        other is not null && other.Holder == Holder && other.Pid == Pid && other.Host == Host && other.Version == Version && other.Acquired == Acquired;

    /// <summary>How the holder reads in messages: who, which process on which machine, and the CI run when there is one.</summary>
    public string Describe() =>
        $"{Processes.PrintableText.Escape(Holder)} (pid {Pid} on {Processes.PrintableText.Escape(Host)}{(RunUrl is { Length: > 0 } url ? ", " + Processes.PrintableText.Escape(url) : string.Empty)})";

    private static string? GitHubRunUrl() =>
        Environment.GetEnvironmentVariable("GITHUB_RUN_ID") is { Length: > 0 } run && Environment.GetEnvironmentVariable("GITHUB_REPOSITORY") is { Length: > 0 } repository
            ? $"{(Environment.GetEnvironmentVariable("GITHUB_SERVER_URL") is { Length: > 0 } server ? server : "https://github.com")}/{repository}/actions/runs/{run}"
            : null;
}
