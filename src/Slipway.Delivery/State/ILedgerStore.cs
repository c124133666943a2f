namespace Slipway.Delivery.State;

/// <summary>
/// Where a <see cref="ReleaseLedger"/>'s lines are kept: a file in the state directory, a volume on the Docker host, a
/// ConfigMap in the cluster. The entry schema and the rules for reading it are the ledger's; a store only keeps bytes.
/// </summary>
public interface ILedgerStore
{
    /// <summary>Where the ledger is, for messages: a path, or the volume and host, or the ConfigMap and namespace.</summary>
    string Location { get; }

    /// <summary>The whole ledger as written (JSON lines); null when nothing was ever appended. Reading leaves no trace.</summary>
    /// <exception cref="IOException">The ledger exists but cannot be read; the message says where and why.</exception>
    string? ReadText();

    /// <summary>Appends <paramref name="lines"/> (whole lines, each ending in a newline) in one write, creating the ledger when needed.</summary>
    /// <exception cref="IOException">The lines could not be written; they are not recorded.</exception>
    void AppendLines(byte[] lines);
}
