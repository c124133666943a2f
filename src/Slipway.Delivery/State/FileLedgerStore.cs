using System.Text;
using Slipway.Environments;

namespace Slipway.Delivery.State;

/// <summary>A ledger kept as a file (the state directory's <c>ledger.jsonl</c>): appends are whole lines, in one write, synced.</summary>
public sealed class FileLedgerStore : ILedgerStore
{
    /// <summary>A ledger at <paramref name="path"/>; nothing is created until the first append.</summary>
    public FileLedgerStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => Path;

    /// <inheritdoc />
    /// <exception cref="IOException">
    /// The file exists but cannot be read, or is not a regular file of at most 64 MiB (<see cref="InputFileException"/>).
    /// </exception>
    public string? ReadText()
    {
        var kind = InputFile.KindOf(Path);
        if (kind == FileKind.Missing && new FileInfo(Path).LinkTarget is null)
        {
            return null;
        }

        // A FIFO or device in the ledger's place would hang or flood the read; a ledger this large is not one Slipway wrote.
        if (kind != FileKind.Regular)
        {
            InputFile.ReadText(Path, Path, RecordedValue.MaxLedgerBytes);
        }

        if (new FileInfo(Path).Length > RecordedValue.MaxLedgerBytes)
        {
            throw new InputFileException(Path, $"is larger than the limit of {RecordedValue.MaxLedgerBytes >> 20} MiB for a ledger; move it aside (it is the audit trail: keep it) and start a new one");
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <inheritdoc />
    public void AppendLines(byte[] lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        AppendOnlyFile.AppendLine(Path, lines);
    }
}
