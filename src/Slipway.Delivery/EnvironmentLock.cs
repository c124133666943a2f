using System.Diagnostics;
using Slipway.Delivery.State;

namespace Slipway.Delivery;

/// <summary>
/// One deploy per environment at a time: a lock that exists while a run holds the environment, kept in an
/// <see cref="ILockStore"/> — a file in the state directory (created with <c>O_CREAT | O_EXCL</c>), a container on the
/// environment's Docker host (its name is unique on the engine), or a Lease in its cluster (created once, replaced by
/// resource version). Each store's create succeeds for the first creator only, across processes and machines.
/// </summary>
/// <remarks>
/// The lock is leased (<see cref="LockHolder.LeaseExpires"/>): the holder renews the lease while it runs, so a lock whose
/// lease ran out belongs to a run that is gone — killed, cancelled by CI, its runner torn down — and the next run takes it
/// over, naming the previous owner, without <c>--break-lock</c>. Disposing releases the lock; see <see cref="Release"/>.
/// </remarks>
public sealed class EnvironmentLock : IDisposable, IAsyncDisposable
{
    /// <summary>
    /// How soon <see cref="AcquireAsync(ILockStore, LockHolder, TimeSpan, TimeProvider, Action{LockHolder}?, CancellationToken)"/>
    /// looks again at first; the interval doubles up to <see cref="MaxPollInterval"/>. A lock on a Docker host is one
    /// printed <c>docker container create</c> per look: 200 ms throughout made a 15-minute wait thousands of them.
    /// </summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest interval between two looks: a queued deploy starts at most this long after the lock is free.</summary>
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _renewal = new();
    private readonly Lock _gate = new();
    private readonly ILockStore _store;
    private bool _released;

    private EnvironmentLock(ILockStore store, LockHolder holder)
    {
        _store = store;
        Holder = holder;
    }

    /// <summary>Where the lock is: the lock file, or the container or Lease that is the lock.</summary>
    public string Path => _store.Location;

    /// <summary>This lock's holder, as written to the store.</summary>
    public LockHolder Holder { get; }

    /// <summary>As <see cref="TryAcquire(ILockStore, LockHolder, out LockHolder?)"/>, for the lock file at <paramref name="path"/>.</summary>
    public static EnvironmentLock? TryAcquire(string path, LockHolder holder, out LockHolder? existing) =>
        TryAcquire(new FileLockStore(path), holder, out existing);

    /// <summary>
    /// Takes the lock if nobody holds it. Returns the lock, or null with <paramref name="existing"/> set to whoever
    /// holds it (a placeholder naming the lock's age when it cannot be read).
    /// </summary>
    /// <exception cref="IOException">The lock could not be created for another reason than existing already.</exception>
    public static EnvironmentLock? TryAcquire(ILockStore store, LockHolder holder, out LockHolder? existing)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(holder);

        // A holder can release between our failed create and our read; then the lock is free and we try again.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            if (store.TryCreate(holder))
            {
                existing = null;
                return new EnvironmentLock(store, holder);
            }

            existing = store.Read();
            if (existing is not null)
            {
                return null;
            }
        }

        throw new IOException($"Could not take the lock {store.Location}: it exists, yet reads as free; look at it, then try again.");
    }

    /// <summary>As <see cref="AcquireAsync(ILockStore, LockHolder, TimeSpan, TimeProvider, Action{LockHolder}?, CancellationToken)"/>, for the lock file at <paramref name="path"/>.</summary>
    public static Task<EnvironmentLock> AcquireAsync(
        string path, LockHolder holder, TimeSpan wait, TimeProvider time, Action<LockHolder>? tookOver = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(new FileLockStore(path), holder, wait, time, tookOver, cancellationToken);

    /// <summary>
    /// Takes the lock, polling until it is free or <paramref name="wait"/> has passed on <paramref name="time"/>. A stale
    /// lock (see <see cref="IsStale(LockHolder, DateTimeOffset)"/>) is taken over at once, and <paramref name="tookOver"/>
    /// is told whose it was. The lock returned renews its lease (<paramref name="holder"/>'s, from its acquisition) until released.
    /// </summary>
    /// <exception cref="EnvironmentLockedException">
    /// The lock is still held by a live run after <paramref name="wait"/>; the message names the holder, the version, since
    /// when, the host, until when its lease runs, and <c>--break-lock</c>.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public static async Task<EnvironmentLock> AcquireAsync(
        ILockStore store, LockHolder holder, TimeSpan wait, TimeProvider time, Action<LockHolder>? tookOver = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        var lease = holder.LeaseExpires is { } expires ? expires - holder.Acquired : LockHolder.DefaultLease;
        var started = time.GetTimestamp();
        var interval = PollInterval;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            var acquired = TryAcquire(store, holder with { Acquired = now, LeaseExpires = now + lease }, out var existing);
            if (acquired is not null)
            {
                acquired.StartRenewing(lease, time);
                return acquired;
            }

            if (IsStale(existing!, now) && store.RemoveStale(existing!))
            {
                tookOver?.Invoke(existing!);
                continue;
            }

            var remaining = wait - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new EnvironmentLockedException(store.Location, existing!, isStale: false, now);
            }

            await Task.Delay(remaining < interval ? remaining : interval, time, cancellationToken);
            interval = interval * 2 < MaxPollInterval ? interval * 2 : MaxPollInterval;
        }
    }
    /// <summary>As <see cref="IsStale(LockHolder, DateTimeOffset)"/>, now.</summary>
    public static bool IsStale(LockHolder existing) => IsStale(existing, DateTimeOffset.UtcNow);

    /// <summary>
    /// True when <paramref name="existing"/> was left by a run that is gone: its lease ran out before <paramref name="now"/>
    /// (a live holder renews it, wherever it runs). A lock written before leases is stale only when it names this host and
    /// its pid is no longer running (<c>/proc/&lt;pid&gt;</c> on Linux, <see cref="Process.GetProcessById(int)"/> elsewhere).
    /// </summary>
    /// <remarks>
    /// Only the lease decides, even on the holder's own host: a pid can be reused, and runners in containers share pid
    /// numbers and sometimes host names, so "its process is gone" is a hint for the message, never a reason to take over
    /// early. Age alone never makes a lock stale: a long deploy renews its lease.
    /// </remarks>
    public static bool IsStale(LockHolder existing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return existing.LeaseExpires is { } expires
            ? expires < now
            : string.Equals(existing.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) && !IsRunning(existing.Pid);
    }

    /// <summary>
    /// Removes the lock at <paramref name="path"/> whoever holds it (<c>--break-lock</c>), and returns who held it, or null
    /// when there was no lock. Only for a holder known to be gone: the run holding it is not stopped.
    /// </summary>
    public static LockHolder? Break(string path) => Break(new FileLockStore(path));

    /// <summary>As <see cref="Break(string)"/>, for the lock in <paramref name="store"/>.</summary>
    public static LockHolder? Break(ILockStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Break();
    }

    /// <summary>
    /// Removes the lock if it is still this holder's, and returns whether it did. If someone broke the lock and another run
    /// took it since, that run's lock is left alone. Calling it again does nothing.
    /// </summary>
    public bool Release()
    {
        if (_released)
        {
            return false;
        }

        _released = true;
        _renewal.Cancel();
        lock (_gate)
        {
            return _store.Release(Holder);
        }
    }

    /// <inheritdoc cref="Release"/>
    public void Dispose()
    {
        Release();
        _renewal.Dispose();
    }

    /// <inheritdoc cref="Release"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Renews the lease every quarter of it while the lock is held; a renewal that finds the lock taken from it stops.</summary>
    private void StartRenewing(TimeSpan lease, TimeProvider time)
    {
        var every = lease / 4;
        var token = _renewal.Token;
        _ = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, time, token);
                    if (!Renew(time.GetUtcNow() + lease))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (IOException)
                {
                    // The next renewal tries again; a lease that runs out lets the next run take over, the safe side.
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>Renews the lease until <paramref name="expires"/>; false once released or taken over.</summary>
    private bool Renew(DateTimeOffset expires)
    {
        lock (_gate)
        {
            return !_released && _store.Renew(Holder, expires);
        }
    }

    /// <summary>The holder in the lock file at <paramref name="path"/>; null when there is none.</summary>
    internal static LockHolder? ReadHolder(string path) => FileLockStore.ReadHolder(path);

    private static bool IsRunning(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists($"/proc/{pid}");
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
