using System.Runtime.InteropServices;

namespace Slipway.Delivery;

/// <summary>
/// Appends whole lines to a file that several processes may append to at once.
/// </summary>
/// <remarks>
/// .NET's <see cref="FileMode.Append"/> only seeks to the end when the file is opened (it does not use
/// <c>O_APPEND</c>), so two writers that opened the file before either wrote overwrite each other. On Linux this
/// opens the file with <c>O_APPEND</c> through libc and writes each line with one <c>write(2)</c>, which the kernel
/// places at the end atomically with respect to other appenders. Elsewhere appends are serialised within this
/// process only.
/// </remarks>
internal static class AppendOnlyFile
{
    private const int LinuxWriteOnly = 0x1;
    private const int LinuxCreate = 0x40;
    private const int LinuxAppend = 0x400;
    private const int LinuxCloseOnExec = 0x80000;
    private const int Interrupted = 4; // EINTR

    private static readonly Lock InProcess = new();

    /// <summary>Appends <paramref name="line"/> (which ends in a newline) in one write, then flushes it to disk.</summary>
    /// <exception cref="IOException">The file could not be opened, written or synced; the message names it.</exception>
    public static void Append(string path, byte[] line)
    {
        if (OperatingSystem.IsLinux())
        {
            AppendOnLinux(path, line);
            return;
        }

        lock (InProcess)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(line);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>True when the file is missing, empty, or ends with a newline, i.e. has no torn last line to close.</summary>
    public static bool EndsWithNewlineOrIsEmpty(string path)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0)
        {
            return true;
        }

        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
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

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int descriptor);
    }
}
