using System.Globalization;

namespace Slipway.Delivery;

/// <summary>
/// Another run holds the environment's <see cref="EnvironmentLock"/>. The message names the holder, the version it is
/// deploying, since when, the host, and how to break the lock; for a stale lock it says it was left by a killed run.
/// </summary>
public sealed class EnvironmentLockedException : Exception
{
    /// <summary>Creates the exception for the lock at <paramref name="path"/>, held by <paramref name="holder"/>, as of <paramref name="now"/>.</summary>
    public EnvironmentLockedException(string path, LockHolder holder, bool isStale, DateTimeOffset now)
        : base(Describe(path, holder ?? throw new ArgumentNullException(nameof(holder)), isStale, now))
    {
        Path = path;
        Holder = holder;
        IsStale = isStale;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public EnvironmentLockedException()
        : this("The environment is locked by another run.")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public EnvironmentLockedException(string message)
        : base(message)
    {
        Path = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public EnvironmentLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Who holds the lock; null only when created with a message alone.</summary>
    public LockHolder? Holder { get; }

    /// <summary>True when the holder is a run on this host that no longer exists (see <see cref="EnvironmentLock.IsStale(LockHolder, DateTimeOffset)"/>).</summary>
    public bool IsStale { get; }

    private static string Describe(string path, LockHolder lockHolder, bool isStale, DateTimeOffset now)
    {
        // The holder comes from a file anyone could have edited: its text is escaped, never printed raw.
        var holder = lockHolder with
        {
            Holder = Processes.PrintableText.Escape(lockHolder.Holder),
            Host = Processes.PrintableText.Escape(lockHolder.Host),
            Version = Processes.PrintableText.Escape(lockHolder.Version),
        };
        var since = holder.Acquired.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var age = now >= holder.Acquired ? $", {LedgerTable.Duration(now - holder.Acquired)} ago" : string.Empty;
        return isStale
            ? $"The environment lock {path} is stale, left by a killed run: {holder.Holder} (pid {holder.Pid} on {holder.Host}, no longer running) "
              + $"was deploying {holder.Version} since {since} UTC{age}. Nothing holds it any more; check the environment with the History target, "
              + "then rerun with --break-lock to remove it."
            : $"The environment is locked by {lockHolder.Describe()}, deploying {holder.Version} since {since} UTC{age}{Lease(holder, now)}; "
              + $"lock file {path}. Wait for that run to finish (--lock-wait), or, if it is gone, rerun with --break-lock to remove the lock.";
    }

    private static string Lease(LockHolder holder, DateTimeOffset now) => holder.LeaseExpires is { } expires && expires > now
        ? $"; its lease runs {LedgerTable.Duration(expires - now)} more unless that run renews it, then the next run takes the lock over"
        : string.Empty;
}
