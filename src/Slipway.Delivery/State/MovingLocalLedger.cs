using Slipway.Processes;

namespace Slipway.Delivery.State;

/// <summary>
/// The environment's ledger, which on first contact takes in the ledger this machine kept locally before the environment
/// kept its own: the local entries are appended, in order, in one write, and the local file is renamed
/// <c>ledger.jsonl.migrated</c> (kept, as the audit trail it was).
/// </summary>
/// <remarks>
/// The rename comes first: it is atomic, so of two runs on this machine only one moves the entries; if the append then
/// fails, the file is renamed back and the next run tries again.
/// </remarks>
internal sealed class MovingLocalLedger(ILedgerStore environment, string localPath, IToolSession session) : ILedgerStore
{
    private bool _checked;

    /// <inheritdoc />
    public string Location => environment.Location;

    /// <inheritdoc />
    public string? ReadText()
    {
        MoveLocalLedger();
        return environment.ReadText();
    }

    /// <inheritdoc />
    public void AppendLines(byte[] lines)
    {
        MoveLocalLedger();
        environment.AppendLines(lines);
    }

    private void MoveLocalLedger()
    {
        if (_checked)
        {
            return;
        }

        _checked = true;
        if (!File.Exists(localPath))
        {
            return;
        }

        var moved = localPath + ".migrated";
        try
        {
            File.Move(localPath, moved, overwrite: false);
        }
        catch (IOException) when (!File.Exists(localPath) || File.Exists(moved))
        {
            // Another run on this machine is moving it, or moved an earlier one: theirs is the one that counts.
            return;
        }

        var local = ReleaseLedger.Open(moved).ReadAll();
        try
        {
            ReleaseLedger.On(environment).AppendAll(local.Entries);
        }
        catch
        {
            File.Move(moved, localPath);
            throw;
        }

        session.Info($"Moved the {local.Entries.Count} entries of the local ledger {localPath} to {environment.Location}, where every machine that deploys this environment reads it; the local file is kept as {moved}.");
        foreach (var warning in local.Warnings)
        {
            session.Warning(warning);
        }
    }
}
