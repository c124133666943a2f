using System.Diagnostics;
using System.Text.Json;
using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// One deploy per environment at a time: a lock file that exists while a run holds the environment. Taking it is
/// atomic because the file is created with <see cref="FileMode.CreateNew"/> (<c>O_CREAT | O_EXCL</c>), which fails
/// for everyone but the first creator, across processes and hosts sharing the directory.
/// </summary>
/// <remarks>Disposing releases the lock; see <see cref="Release"/>.</remarks>
public sealed class EnvironmentLock : IDisposable, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>How often <see cref="AcquireAsync"/> looks again: short enough not to add noticeable delay to a queued deploy.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

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
    /// Takes the lock, polling until it is free or <paramref name="wait"/> has passed on <paramref name="time"/>.
    /// A stale lock (see <see cref="IsStale"/>) fails at once: its holder is dead and will never release it.
    /// </summary>
    /// <exception cref="EnvironmentLockedException">
    /// The lock is still held after <paramref name="wait"/>, or is stale; the message names the holder, the version, since
    /// when, the host, and <c>--break-lock</c>.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public static async Task<EnvironmentLock> AcquireAsync(string path, LockHolder holder, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var acquired = TryAcquire(path, holder, out var existing);
            if (acquired is not null)
            {
                return acquired;
            }

            var stale = IsStale(existing!);
            var remaining = wait - time.GetElapsedTime(started);
            if (stale || remaining <= TimeSpan.Zero)
            {
                throw new EnvironmentLockedException(System.IO.Path.GetFullPath(path), existing!, stale, time.GetUtcNow());
            }

            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, time, cancellationToken);
        }
    }

    /// <summary>
    /// True when <paramref name="existing"/> was left by a run that is gone: it names this host and its pid is no longer
    /// running (<c>/proc/&lt;pid&gt;</c> on Linux, <see cref="Process.GetProcessById(int)"/> elsewhere).
    /// </summary>
    /// <remarks>
    /// Age alone never makes a lock stale: a long deploy is still a deploy. A lock from another host is never stale here,
    /// because its pid cannot be checked from this one. A reused pid makes a dead run's lock look alive; that errs on the
    /// safe side (<c>--break-lock</c> still works).
    /// </remarks>
    public static bool IsStale(LockHolder existing)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return string.Equals(existing.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) && !IsRunning(existing.Pid);
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
        if (ReadHolder(Path) != Holder)
        {
            return false;
        }

        File.Delete(Path);
        return true;
    }

    /// <inheritdoc cref="Release"/>
    public void Dispose() => Release();

    /// <inheritdoc cref="Release"/>
    public ValueTask DisposeAsync()
    {
        Release();
        return ValueTask.CompletedTask;
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
