using System.Diagnostics;
using System.Text.Json;
using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// One deploy per environment at a time: a lock file that exists while a run holds the environment. Taking it is
/// atomic because the file is created with <see cref="FileMode.CreateNew"/> (<c>O_CREAT | O_EXCL</c>), which fails
/// for everyone but the first creator, across processes and hosts sharing the directory.
/// </summary>
/// <remarks>
/// The lock is leased (<see cref="LockHolder.LeaseExpires"/>): the holder renews the lease while it runs, so a lock whose
/// lease ran out belongs to a run that is gone — killed, cancelled by CI, its runner torn down — and the next run takes it
/// over, naming the previous owner, without <c>--break-lock</c>. Disposing releases the lock; see <see cref="Release"/>.
/// </remarks>
public sealed class EnvironmentLock : IDisposable, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>How often <see cref="AcquireAsync"/> looks again: short enough not to add noticeable delay to a queued deploy.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a takeover's guard file may live: a taker killed between its checks leaves it, and the next one removes it after this.</summary>
    private static readonly TimeSpan TakeoverGuardLifetime = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _renewal = new();
    private readonly Lock _gate = new();
    private bool _released;

    private EnvironmentLock(string path, LockHolder holder)
    {
        Path = path;
        Holder = holder;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>This lock's holder, as written to the file.</summary>
    public LockHolder Holder { get; }

    /// <summary>
    /// Takes the lock if nobody holds it. Returns the lock, or null with <paramref name="existing"/> set to whoever
    /// holds it (a placeholder naming the file's age when the file cannot be read).
    /// </summary>
    /// <exception cref="IOException">The lock file could not be created for another reason than existing already.</exception>
    public static EnvironmentLock? TryAcquire(string path, LockHolder holder, out LockHolder? existing)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(holder);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);

        // A holder can release between our failed create and our read; then the lock is free and we try again. Bounded,
        // so a create that fails for another reason (disk full) is thrown rather than retried forever.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // FileShare.Read so a contender can read the holder while it is being written (it retries if it is empty).
                using var stream = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                JsonSerializer.Serialize(stream, holder, Options);
                stream.Flush(flushToDisk: true);
                existing = null;
                return new EnvironmentLock(full, holder);
            }
            catch (IOException) when (attempt < 3 || File.Exists(full))
            {
                existing = ReadHolder(full);
                if (existing is not null)
                {
                    return null;
                }
            }
        }
    }

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
        string path, LockHolder holder, TimeSpan wait, TimeProvider time, Action<LockHolder>? tookOver = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        var lease = holder.LeaseExpires is { } expires ? expires - holder.Acquired : LockHolder.DefaultLease;
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            var acquired = TryAcquire(path, holder with { Acquired = now, LeaseExpires = now + lease }, out var existing);
            if (acquired is not null)
            {
                acquired.StartRenewing(lease, time);
                return acquired;
            }

            if (IsStale(existing!, now) && TakeOver(path, existing!))
            {
                tookOver?.Invoke(existing!);
                continue;
            }

            var remaining = wait - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new EnvironmentLockedException(System.IO.Path.GetFullPath(path), existing!, isStale: false, now);
            }

            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, time, cancellationToken);
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
    public static LockHolder? Break(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return null;
        }

        if (InputFile.KindOf(full) is not (FileKind.Regular or FileKind.Missing))
        {
            throw new InvalidOperationException(
                $"{full} is {InputFile.Describe(InputFile.KindOf(full))}, not a lock file Slipway wrote: --break-lock removes only lock files. Look at what it is, and remove it by hand.");
        }

        var holder = ReadHolder(full);
        File.Delete(full);
        return holder;
    }

    /// <summary>
    /// Deletes the lock file if it still names this holder, and returns whether it did. If someone broke the lock and
    /// another run took it since, that run's lock is left alone. Calling it again does nothing.
    /// </summary>
    /// <remarks>Between reading and deleting there is a window in which a break-and-retake would be undone; it needs a
    /// manual <c>--break-lock</c> to land inside a few microseconds, which we accept.</remarks>
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
            if (!Holder.IsSameRun(ReadHolder(Path)))
            {
                return false;
            }

            File.Delete(Path);
            return true;
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

    /// <summary>
    /// Removes the stale lock of <paramref name="stale"/>, unless it changed since it was read; true when the caller should
    /// try to take the lock again. A guard file (created exclusively) makes one contender at a time do the check and the
    /// removal, so a contender that read the same stale lock cannot remove the lock a faster one has just taken.
    /// </summary>
    private static bool TakeOver(string path, LockHolder stale)
    {
        var full = System.IO.Path.GetFullPath(path);
        var guard = full + ".takeover";
        if (File.Exists(guard) && DateTime.UtcNow - File.GetLastWriteTimeUtc(guard) > TakeoverGuardLifetime)
        {
            File.Delete(guard);
        }

        try
        {
            using (new FileStream(guard, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
            }
        }
        catch (IOException) when (File.Exists(guard))
        {
            return false;
        }

        try
        {
            if (!stale.IsSameRun(ReadHolder(full)) || InputFile.KindOf(full) != FileKind.Regular)
            {
                return !File.Exists(full);
            }

            File.Delete(full);
            return true;
        }
        finally
        {
            File.Delete(guard);
        }
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

    /// <summary>Rewrites the lock with a lease until <paramref name="expires"/> (write aside, then rename over: atomic); false once released or taken over.</summary>
    private bool Renew(DateTimeOffset expires)
    {
        lock (_gate)
        {
            if (_released || !Holder.IsSameRun(ReadHolder(Path)))
            {
                return false;
            }

            var renewed = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.renew");
            File.WriteAllText(renewed, JsonSerializer.Serialize(Holder with { LeaseExpires = expires }, Options));
            File.Move(renewed, Path, overwrite: true);
            return true;
        }
    }

    /// <summary>The holder in the file; null when there is no file; a placeholder when it stays unreadable.</summary>
    internal static LockHolder? ReadHolder(string path)
    {
        // A contender can open the file between its creation and the holder's write: give the writer a moment.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                var kind = InputFile.KindOf(path);
                if (kind == FileKind.Missing)
                {
                    return null;
                }

                if (kind != FileKind.Regular)
                {
                    // A FIFO would hang the read, a directory cannot be read: either way the environment is taken.
                    return Unreadable($"the lock file is {InputFile.Describe(kind)}", path);
                }

                var holder = JsonSerializer.Deserialize<LockHolder>(InputFile.ReadText(path, path, RecordedValue.MaxSmallFileBytes), Options);
                if (holder is { Holder: not null, Version: not null, Host: not null })
                {
                    return holder;
                }
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (InputFileException refused) when (InputFile.KindOf(path) != FileKind.Missing)
            {
                return Unreadable($"the lock file is not readable: {refused.Reason}", path);
            }
            catch (InputFileException)
            {
                return null;
            }
            catch (JsonException)
            {
                // Empty or half written; look again.
            }

            Thread.Sleep(20);
        }

        return Unreadable("the lock file is not readable", path);
    }

    private static LockHolder Unreadable(string why, string path)
    {
        DateTimeOffset written = File.Exists(path) || Directory.Exists(path) ? File.GetLastWriteTimeUtc(path) : default;
        return new LockHolder($"unknown ({why})", 0, "unknown", written, "unknown");
    }

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
