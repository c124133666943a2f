namespace Slipway.Delivery;

/// <summary>What <see cref="ReleaseLedger.ReadAll"/> found: the readable entries, and a warning for every line it had to skip.</summary>
/// <param name="Entries">The entries in the order they were appended (oldest first).</param>
/// <param name="Warnings">
/// One message per skipped line, naming the file and line number; empty for a healthy ledger. A torn last line
/// (a write cut short by a crash) is reported here rather than thrown, because the entries before it are intact.
/// </param>
public sealed record LedgerReadResult(IReadOnlyList<LedgerEntry> Entries, IReadOnlyList<string> Warnings);
