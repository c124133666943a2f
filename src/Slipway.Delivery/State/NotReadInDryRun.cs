namespace Slipway.Delivery.State;

/// <summary>
/// The ledger as a dry run sees it when the environment keeps it on its host: not read (a dry run asks the target host
/// nothing), so it reads as empty and what it would answer prints as named placeholders; it is never written.
/// </summary>
internal sealed class NotReadInDryRun(string location) : ILedgerStore
{
    /// <inheritdoc />
    public string Location { get; } = $"{location} (not read in a dry run)";

    /// <inheritdoc />
    public string? ReadText() => null;

    /// <inheritdoc />
    public void AppendLines(byte[] lines) =>
        throw new InvalidOperationException($"A dry run writes nothing, and was about to append to the ledger {Location}.");
}
