using System.Runtime.InteropServices;

namespace Slipway.Delivery;

/// <summary>
/// Appends whole lines to a file that several processes may append to at once.
/// </summary>
/// <remarks>
/// .NET's <see cref="FileMode.Append"/> only seeks to the end when the file is opened (it does not use
/// <c>O_APPEND</c>), so two writers that opened the file before either wrote overwrite each other. On Linux this
/// opens the file with <c>O_APPEND</c> through libc and writes each line with one <c>write(2)</c>, so the kernel puts
/// it at the end. Appenders also hold an exclusive open-file-description lock (<c>F_OFD_SETLKW</c>) from checking the
/// last byte until the line is synced: without it, a writer could see another's line half copied, mistake it for a torn
/// line, and add a stray newline. Not <c>flock</c>: .NET takes <c>flock</c> itself to emulate <see cref="FileShare"/>,
/// so readers would fail while a line is written. OFD locks, unlike classic <c>fcntl</c> locks, also exclude other
/// threads of this process.
/// Elsewhere appends are serialised within this process only.
/// </remarks>
internal static class AppendOnlyFile
{
    private const int LinuxWriteOnly = 0x1;
    private const int LinuxCreate = 0x40;
    private const int LinuxAppend = 0x400;
    private const int LinuxCloseOnExec = 0x80000;
    private const int Interrupted = 4; // EINTR
    private const int SetLockAndWait = 38; // F_OFD_SETLKW
    private const short WriteLock = 1; // F_WRLCK

    private static readonly Lock InProcess = new();

    /// <summary>
    /// Appends <paramref name="line"/> (which ends in a newline) in one write, then flushes it to disk. If the file ends
    /// in a torn line (no newline, left by a crash), a newline goes first, so the fragment stays on a line of its own
    /// instead of corrupting this one.
    /// </summary>
    /// <exception cref="IOException">The file could not be opened, written or synced; the message names it.</exception>
    public static void AppendLine(string path, byte[] line)
    {
        if (OperatingSystem.IsLinux())
        {
            AppendOnLinux(path, line);
            return;
        }

        lock (InProcess)
        {
            var whole = WithSeparator(path, line);
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(whole);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>The line to write: <paramref name="line"/>, preceded by a newline when the file ends in a torn line.</summary>
    private static byte[] WithSeparator(string path, byte[] line)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0)
        {
            return line;
        }

        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n' ? line : [(byte)'\n', .. line];
    }

    private static void AppendOnLinux(string path, byte[] line)
    {
        var nativePath = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        var descriptor = Native.Open(nativePath, LinuxWriteOnly | LinuxCreate | LinuxAppend | LinuxCloseOnExec, Convert.ToInt32("644", 8));
        if (descriptor < 0)
        {
            throw Failure("open", path);
        }

        try
        {
            int locked;
            do
            {
                // Start 0, length 0: the whole file, however long it grows. Released by close.
                var whole = new Native.FileRegionLock { Type = WriteLock };
                locked = Native.Fcntl(descriptor, SetLockAndWait, ref whole);
            }
            while (locked != 0 && Marshal.GetLastPInvokeError() == Interrupted);

            if (locked != 0)
            {
                throw Failure("lock", path);
            }

            line = WithSeparator(path, line);
            nint written;
            do
            {
                written = Native.Write(descriptor, line, line.Length);
            }
            while (written < 0 && Marshal.GetLastPInvokeError() == Interrupted);

            if (written < 0)
            {
                throw Failure("write to", path);
            }

            // A short write to a regular file means the disk is full or a quota was hit; the reader reports the
            // torn line, and the caller must know the entry was not recorded.
            if (written != line.Length)
            {
                throw new IOException($"Only {written} of {line.Length} bytes could be appended to {path}; the disk may be full.");
            }

            if (Native.Sync(descriptor) != 0)
            {
                throw Failure("fsync", path);
            }
        }
        finally
        {
            _ = Native.Close(descriptor);
        }
    }

    private static IOException Failure(string operation, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"Could not {operation} {path}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags, int mode);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Write(int descriptor, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Sync(int descriptor);

        [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fcntl(int descriptor, int command, ref FileRegionLock region);

        /// <summary><c>struct flock</c> on 64-bit Linux.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct FileRegionLock
        {
            public short Type;
            public short Whence;
            public long Start;
            public long Length;
            public int Pid;
        }

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int descriptor);
    }
}
