namespace Slipway.Delivery;

/// <summary>Who holds an <see cref="EnvironmentLock"/>: the content of the lock file.</summary>
/// <param name="Holder">The user, as <c>user@host</c>.</param>
/// <param name="Pid">The process id of the run holding the lock.</param>
/// <param name="Version">The version that run is deploying.</param>
/// <param name="Acquired">When the lock was taken.</param>
/// <param name="Host">The machine the run is on; a pid only means something on its own host.</param>
public sealed record LockHolder(string Holder, int Pid, string Version, DateTimeOffset Acquired, string Host)
{
    /// <summary>The holder describing this process, deploying <paramref name="version"/>, as of now on <paramref name="time"/>.</summary>
    public static LockHolder Current(string version, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(time);
        return new(LedgerEntry.CurrentUser, Environment.ProcessId, version, time.GetUtcNow(), Environment.MachineName);
    }
}
