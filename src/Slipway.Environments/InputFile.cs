using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Slipway.Processes;

namespace Slipway.Environments;

/// <summary>What a path names, symbolic links followed.</summary>
public enum FileKind
{
    /// <summary>Nothing (or a symbolic link to nothing).</summary>
    Missing,

    /// <summary>A regular file: the only kind Slipway reads configuration from.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A FIFO (named pipe): reading it waits for a writer, possibly forever.</summary>
    Fifo,

    /// <summary>A character device such as <c>/dev/zero</c>: endless, or not a file at all.</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A Unix socket.</summary>
    Socket,
}

/// <summary>
/// Reads a file that anyone could have written — an environment file, <c>release.json</c>, a ledger, a lock, a saved
/// plan — so that no content can hang, exhaust or fool the reader: only a regular file is opened (never a FIFO, a
/// device or a directory), at most a given number of bytes is read, and the text must be UTF-8 (a BOM is allowed) or
/// UTF-16 with a BOM, with no NUL or other control character than tab and line breaks. Every refusal is an
/// <see cref="InputFileException"/> that names the file, the position where there is one, and the fix.
/// </summary>
public static class InputFile
{
    // PAL values of the file type bits (System.Native's FileStatus.Mode), the same as Linux's.
    private const int TypeMask = 0xF000;
    private const int FifoType = 0x1000;
    private const int CharacterDeviceType = 0x2000;
    private const int DirectoryType = 0x4000;
    private const int BlockDeviceType = 0x6000;
    private const int RegularType = 0x8000;
    private const int SocketType = 0xC000;

    private static readonly SearchValues<byte> ForbiddenBytes = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What <paramref name="path"/> is, links followed; <see cref="FileKind.Missing"/> when it cannot be looked at.</summary>
    /// <param name="path">The path.</param>
    public static FileKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            return File.Exists(path) ? FileKind.Regular : Directory.Exists(path) ? FileKind.Directory : FileKind.Missing;
        }

        // .NET has no API for the file type (FileAttributes says Normal for a FIFO), and opening a FIFO to find out
        // blocks until someone writes to it: ask stat(2) through the runtime's own native shim instead.
        var status = new byte[256];
        if (Native.Stat(path, status) != 0)
        {
            return FileKind.Missing;
        }

        return (BitConverter.ToInt32(status, 4) & TypeMask) switch
        {
            RegularType => FileKind.Regular,
            DirectoryType => FileKind.Directory,
            FifoType => FileKind.Fifo,
            CharacterDeviceType => FileKind.CharacterDevice,
            BlockDeviceType => FileKind.BlockDevice,
            SocketType => FileKind.Socket,
            _ => FileKind.Missing,
        };
    }

    /// <summary>How a kind reads in a message: <c>a FIFO (named pipe)</c>.</summary>
    /// <param name="kind">The kind.</param>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => kind.ToString(),
    };

    /// <summary>Reads the text of a regular file of at most <paramref name="maxBytes"/> bytes (see the class remarks).</summary>
    /// <param name="path">The file.</param>
    /// <param name="displayPath">How messages name it (relative to the repository, say).</param>
    /// <param name="maxBytes">The limit; a larger file is refused, naming it.</param>
    /// <exception cref="InputFileException">The file is missing, not a regular file, too large, unreadable or not valid text.</exception>
    public static string ReadText(string path, string displayPath, long maxBytes) =>
        Read(path, displayPath, maxBytes, static (reader, _) => reader.ReadToEnd());

    /// <summary>
    /// Reads a regular file of at most <paramref name="maxBytes"/> bytes, checks its text and hands <paramref name="read"/>
    /// a reader over it (and a way to get the whole text, for explaining an error), without building one large string.
    /// </summary>
    /// <typeparam name="T">What <paramref name="read"/> makes of the text.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="displayPath">How messages name it.</param>
    /// <param name="maxBytes">The limit; a larger file is refused, naming it.</param>
    /// <param name="read">Reads the text.</param>
    /// <exception cref="InputFileException">The file is missing, not a regular file, too large, unreadable or not valid text.</exception>
    public static T Read<T>(string path, string displayPath, long maxBytes, Func<TextReader, Func<string>, T> read)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(displayPath);
        ArgumentNullException.ThrowIfNull(read);
        CheckKind(path, displayPath);

        // Pooled: a large environment file would otherwise land on the large object heap on every load.
        var (buffer, length) = ReadBounded(path, displayPath, maxBytes);
        try
        {
            var bytes = buffer.AsSpan(0, length);
            var (encoding, preamble) = EncodingOf(bytes, displayPath);
            if (encoding is null)
            {
                CheckUtf8(bytes[preamble..], displayPath);
                using var reader = new StreamReader(new MemoryStream(buffer, preamble, length - preamble, writable: false), StrictUtf8, detectEncodingFromByteOrderMarks: false);
                return read(reader, () => StrictUtf8.GetString(buffer, preamble, length - preamble));
            }

            var text = DecodeOrThrow(encoding, buffer, preamble, length - preamble, displayPath);
            CheckCharacters(text, displayPath);
            return read(new StringReader(text), () => text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Refuses anything but a regular file (a symbolic link is followed to what it names).</summary>
    private static void CheckKind(string path, string displayPath)
    {
        var kind = KindOf(path);
        if (kind == FileKind.Regular)
        {
            return;
        }

        if (kind == FileKind.Missing && LinkTarget(path) is { } target)
        {
            throw new InputFileException(displayPath, $"is a symbolic link to {PrintableText.Quote(target)}, which does not exist; fix or remove the link");
        }

        throw new InputFileException(displayPath, kind == FileKind.Missing
            ? "does not exist"
            : $"is {Describe(kind)}, not a regular file; only regular files are read");
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static (byte[] Buffer, int Length) ReadBounded(string path, string displayPath, long maxBytes)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
            if (stream.Length > maxBytes)
            {
                throw TooLarge(displayPath, maxBytes);
            }

            // Read one byte past the limit: a file can grow after the length was taken.
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(stream.Length + 1, maxBytes + 1));
            var length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            if (length > maxBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw TooLarge(displayPath, maxBytes);
            }

            return (buffer, length);
        }
        catch (UnauthorizedAccessException)
        {
            throw new InputFileException(displayPath, "cannot be read: permission denied; make it readable for the user running Slipway");
        }
        catch (IOException ex) when (ex is not InputFileException)
        {
            throw new InputFileException(displayPath, $"cannot be read: {PrintableText.Escape(ex.Message)}");
        }
    }

    private static InputFileException TooLarge(string displayPath, long maxBytes) =>
        new(displayPath, $"is larger than the limit of {FormatBytes(maxBytes)} for this file; it cannot be a file Slipway wrote or a real configuration");

    /// <summary>1 MiB, 64 KiB, 512 bytes.</summary>
    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{bytes >> 10} KiB",
        _ => $"{bytes} bytes",
    };

    /// <summary>The encoding a BOM announces (null: UTF-8, with or without its BOM) and the BOM's length.</summary>
    private static (Encoding? Encoding, int Preamble) EncodingOf(ReadOnlySpan<byte> bytes, string displayPath)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            throw new InputFileException(displayPath, 1, 1, "is UTF-32, which is not supported; save it as UTF-8");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (null, 3);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        }

        return (null, 0);
    }

    private static string DecodeOrThrow(Encoding encoding, byte[] buffer, int offset, int count, string displayPath)
    {
        try
        {
            return encoding.GetString(buffer, offset, count);
        }
        catch (DecoderFallbackException)
        {
            throw new InputFileException(displayPath, "is not valid UTF-16 (a broken surrogate pair or an odd number of bytes); save it as UTF-8");
        }
    }

    /// <summary>Refuses invalid UTF-8, NUL and control characters, naming the line and column of the first one.</summary>
    private static void CheckUtf8(ReadOnlySpan<byte> bytes, string displayPath)
    {
        var forbidden = bytes.IndexOfAny(ForbiddenBytes);
        var invalid = System.Text.Unicode.Utf8.IsValid(bytes) ? -1 : FirstInvalidUtf8(bytes);
        var c1 = FirstC1Control(bytes);
        var first = new[] { forbidden, invalid, c1 }.Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (first < 0)
        {
            return;
        }

        var (line, column) = PositionOf(bytes, first);
        var message = first == invalid
            ? $"is not valid UTF-8 (byte 0x{bytes[first]:X2}); save it as UTF-8"
            : first == c1
            ? $"holds the control character U+{bytes[first + 1]:X4}; remove it"
            : bytes[first] == 0
            ? "holds a NUL byte; it is not a text file"
            : $"holds the control character U+{bytes[first]:X4}; remove it (only tab and line breaks are allowed)";
        throw new InputFileException(displayPath, line, column, message);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    // U+0080–U+009F (C1 controls, except U+0085, which YAML reads as a line break) are 0xC2 0x80–0x9F in UTF-8.
    private static int FirstC1Control(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length - 1)
        {
            var next = bytes[offset..^1].IndexOf((byte)0xC2);
            if (next < 0)
            {
                return -1;
            }

            offset += next;
            var second = bytes[offset + 1];
            if (second is >= 0x80 and <= 0x9F and not 0x85)
            {
                return offset;
            }

            offset++;
        }

        return -1;
    }

    private static (int Line, int Column) PositionOf(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..offset];
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        var column = 1;
        foreach (var b in before[lineStart..])
        {
            // Count characters, not bytes: continuation bytes (10xxxxxx) belong to the character before.
            if ((b & 0xC0) != 0x80)
            {
                column++;
            }
        }

        return (line, column);
    }

    private static void CheckCharacters(string text, string displayPath)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not '\t' and not '\n' and not '\r' and not '\u0085')
            {
                var line = text.AsSpan(0, i).Count('\n') + 1;
                var column = i - (text.AsSpan(0, i).LastIndexOf('\n') + 1) + 1;
                throw new InputFileException(displayPath, line, column, c == '\0'
                    ? "holds a NUL character; it is not a text file"
                    : $"holds the control character U+{(int)c:X4}; remove it (only tab and line breaks are allowed)");
            }
        }
    }

    private static class Native
    {
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);
    }
}

/// <summary>
/// A file Slipway was asked to read is not one it will read: missing, not a regular file, too large, unreadable or not
/// valid text. The message is <c>file[:line:column]: what is wrong; the fix</c>, and never quotes the file's content.
/// </summary>
public sealed class InputFileException : IOException, IRefusedInput
{
    /// <summary>Creates the exception for a problem with the whole file.</summary>
    public InputFileException(string displayPath, string reason)
        : this(displayPath, 0, 0, reason)
    {
    }

    /// <summary>Creates the exception for a problem at a position (line and column 1-based; 0 for none).</summary>
    public InputFileException(string displayPath, int line, int column, string reason)
        : base(line > 0 ? $"{displayPath}:{line}:{column}: {reason}" : $"{displayPath}: {reason}")
    {
        DisplayPath = displayPath;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>Creates the exception.</summary>
    public InputFileException()
        : this(string.Empty, "cannot be read")
    {
    }

    /// <summary>Creates the exception.</summary>
    public InputFileException(string message)
        : this(string.Empty, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InputFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        DisplayPath = string.Empty;
        Reason = message;
    }

    /// <summary>The file as messages name it.</summary>
    public string DisplayPath { get; }

    /// <inheritdoc />
    string IRefusedInput.Input => DisplayPath;

    /// <summary>1-based line of the problem; 0 when it concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>1-based column of the problem; 0 when it concerns the whole file.</summary>
    public int Column { get; }

    /// <summary>What is wrong and how to fix it, without the file name.</summary>
    public string Reason { get; }
}
