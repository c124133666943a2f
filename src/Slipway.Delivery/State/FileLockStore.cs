using System.Text.Json;
using Slipway.Environments;

namespace Slipway.Delivery.State;

/// <summary>
/// A lock kept as a file (the state directory's <c>deploy.lock</c>): created with <see cref="FileMode.CreateNew"/>
/// (<c>O_CREAT | O_EXCL</c>), which fails for everyone but the first creator, across processes and hosts sharing the directory.
/// </summary>
public sealed class FileLockStore : ILockStore
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>How long a takeover's guard file may live: a taker killed between its checks leaves it, and the next one removes it after this.</summary>
    private static readonly TimeSpan TakeoverGuardLifetime = TimeSpan.FromSeconds(30);

    /// <summary>A lock at <paramref name="path"/>.</summary>
    public FileLockStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => Path;

    /// <inheritdoc />
    public bool TryCreate(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);

        // A holder can release between our failed create and our read; then the lock is free and the caller tries again.
        // Bounded, so a create that fails for another reason (disk full) is thrown rather than retried forever.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // FileShare.Read so a contender can read the holder while it is being written (it retries if it is empty).
                using var stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                JsonSerializer.Serialize(stream, holder, Options);
                stream.Flush(flushToDisk: true);
                return true;
            }
            catch (IOException) when (attempt < 3 || File.Exists(Path))
            {
                if (Read() is not null)
                {
                    return false;
                }
            }
        }
    }

    /// <inheritdoc />
    public LockHolder? Read() => ReadHolder(Path);

    /// <inheritdoc />
    /// <remarks>Write aside, then rename over: a reader never sees half a lock.</remarks>
    public bool Renew(LockHolder holder, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(holder);
        if (!holder.IsSameRun(Read()))
        {
            return false;
        }

        var renewed = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.renew");
        File.WriteAllText(renewed, JsonSerializer.Serialize(holder with { LeaseExpires = expires }, Options));
        File.Move(renewed, Path, overwrite: true);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Between reading and deleting there is a window in which a break-and-retake would be undone; it needs a
    /// manual <c>--break-lock</c> to land inside a few microseconds, which we accept.</remarks>
    public bool Release(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        if (!holder.IsSameRun(Read()))
        {
            return false;
        }

        File.Delete(Path);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A guard file (created exclusively) makes one contender at a time do the check and the removal, so a contender that
    /// read the same stale lock cannot remove the lock a faster one has just taken.
    /// </remarks>
    public bool RemoveStale(LockHolder stale)
    {
        ArgumentNullException.ThrowIfNull(stale);
        var guard = Path + ".takeover";
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
            if (!stale.IsSameRun(Read()) || InputFile.KindOf(Path) != FileKind.Regular)
            {
                return !File.Exists(Path);
            }

            File.Delete(Path);
            return true;
        }
        finally
        {
            File.Delete(guard);
        }
    }

    /// <inheritdoc />
    public LockHolder? Break()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        if (InputFile.KindOf(Path) is not (FileKind.Regular or FileKind.Missing))
        {
            throw new InvalidOperationException(
                $"{Path} is {InputFile.Describe(InputFile.KindOf(Path))}, not a lock file Slipway wrote: --break-lock removes only lock files. Look at what it is, and remove it by hand.");
        }

        var holder = Read();
        File.Delete(Path);
        return holder;
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
}
