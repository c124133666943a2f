using Slipway.Delivery;
using Slipway.Targets;

namespace Slipway.Build;

/// <summary>Delivery: the release ledger of each environment. The deploy targets of Step 5 append to it.</summary>
public sealed partial class SlipwayPipeline
{
    private string LedgerPath => Path.Combine(RootDirectory, Environments.Current.StateDirectory, "ledger.jsonl");

    public Target History => _ => _
        .Describe("Print the release ledger of --env (every deploy, promotion and rollback), newest first")
        .Executes(ctx =>
        {
            var ledger = ReleaseLedger.Open(LedgerPath).ReadAll();
            foreach (var warning in ledger.Warnings)
            {
                ctx.Warning(warning);
            }

            ctx.Info(ledger.Entries.Count == 0
                ? $"No deploys recorded for {EnvironmentName} yet ({Path.GetRelativePath(RootDirectory, LedgerPath)})."
                : LedgerTable.Render(ledger.Entries).TrimEnd('\n'));
        });
}
