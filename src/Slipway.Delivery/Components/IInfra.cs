using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Git;
using Slipway.Tools.Terraform;

namespace Slipway.Delivery.Components;

/// <summary>
/// InfraPlan and InfraApply: the environment's Terraform stack (its <c>infra:</c> section) through a saved plan. The plan
/// is made, shown and recorded with the commit it came from; the apply takes only that plan, for that commit, unchanged,
/// and never one that deletes or replaces anything where the environment does not allow it.
/// </summary>
public interface IInfra : IEnvironmentMatrix
{
    /// <summary>--reconfigure.</summary>
    [Parameter("InfraPlan/InfraApply: terraform init -reconfigure, for when the infra.backend settings changed")]
    bool Reconfigure => TryGetValue(() => Reconfigure);

    /// <summary>Plans the stack into a saved plan.</summary>
    Target InfraPlan => _ => _
        .Describe("Plan --env's Terraform stack (infra: in its file) into artifacts/infra/<env>/plan.tfplan, print the changes per address and record the commit; deletes and replaces are refused unless infra.allow_destroy")
        .UsesEnvironment(this, whenLoaded: InfraErrors)
        .Executes(InfraPlanAsync);

    /// <summary>Applies exactly the saved plan.</summary>
    Target InfraApply => _ => _
        .Describe("Apply the saved plan of --env, only if InfraPlan made it from HEAD and it is unchanged; deletes and replaces are refused unless infra.allow_destroy")
        .After(InfraPlan)
        .UsesEnvironment(this, whenLoaded: InfraErrors)
        .Executes(InfraApplyAsync);

    private InfraSettings Infra => CurrentEnvironment.Infra ?? throw new InvalidOperationException($"{EnvironmentFile} has no infra section.");

    private string InfraDirectory => Path.Combine("artifacts", "infra", EnvironmentName);

    private string PlanFile => Path.Combine(InfraDirectory, "plan.tfplan");

    private string PlanRecordFile => Path.Combine(InfraDirectory, "plan.json");

    /// <summary>Configuration errors of the infra section, reported with the others before anything runs (exit 2).</summary>
    private IEnumerable<string> InfraErrors()
    {
        if (CurrentEnvironment.Infra is not { } infra)
        {
            yield return $"{EnvironmentFile}: infra: the {EnvironmentName} environment has no infra section, so InfraPlan and InfraApply have no stack to work on. " +
                "Add infra.stack (e.g. infra/single-node), infra.var_files and infra.backend to it, or choose an environment that has one with --env.";
            yield break;
        }

        var stack = Path.Combine(RootDirectory, infra.Stack);
        if (!Directory.Exists(stack))
        {
            yield return $"{EnvironmentFile}: infra.stack: the directory {infra.Stack} does not exist: name a Terraform stack directory relative to the repository root.";
            yield break;
        }

        foreach (var varFile in infra.VarFiles.Where(f => !File.Exists(Path.Combine(stack, f))))
        {
            yield return $"{EnvironmentFile}: infra.var_files: {varFile} is not in {infra.Stack}: var files are relative to the stack directory.";
        }
    }

    private async Task InfraPlanAsync(TargetContext ctx)
    {
        var infra = Infra;
        var stack = ctx.PathOf(infra.Stack);
        var planFile = ctx.PathOf(PlanFile);
        var recordFile = ctx.PathOf(PlanRecordFile);
        var commit = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));

        // A plan that fails half-way must not leave the previous plan applicable.
        await ctx.DoAsync($"remove the previous plan in {InfraDirectory}", () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(planFile)!);
            File.Delete(planFile);
            File.Delete(recordFile);
        });
        await ctx.RunAsync(TerraformCli.Init(stack, infra.Backend, Reconfigure));
        await ctx.RunAsync(TerraformCli.Plan(stack, planFile, infra.VarFiles));
        var shown = await ctx.RunAsync(TerraformCli.ShowJson(stack, planFile), echoOutput: false);
        if (ctx.IsDryRun)
        {
            return;
        }

        var summary = PlanSummary.Parse(shown.StandardOutput);
        ctx.Info($"{infra.Stack} for {EnvironmentName} at {Short(commit)} (Terraform {summary.TerraformVersion ?? "?"}):");
        ctx.Info(summary.RenderTable().TrimEnd('\n'));
        var hash = SavedInfraPlan.HashOf(planFile);
        if (DestroyRefusal(summary, infra, commit) is { } refusal)
        {
            // Keep the record (what was refused and why) but not the plan, so nothing can apply it.
            File.Delete(planFile);
            new SavedInfraPlan(EnvironmentName, infra.Stack, commit, null, DateTimeOffset.UtcNow, [.. summary.Destructive.Select(c => c.Address)]).Write(recordFile);
            throw new InvalidOperationException(refusal);
        }

        new SavedInfraPlan(EnvironmentName, infra.Stack, commit, hash, DateTimeOffset.UtcNow, []).Write(recordFile);
        ctx.Info($"Saved plan {PlanFile} ({hash[..19]}…, commit {Short(commit)}). Apply exactly this plan with: ./build.sh --target InfraApply --env {EnvironmentName}");
    }

    private async Task InfraApplyAsync(TargetContext ctx)
    {
        var infra = Infra;
        var stack = ctx.PathOf(infra.Stack);
        var planFile = ctx.PathOf(PlanFile);
        var planAgain = $"run ./build.sh --target InfraPlan --env {EnvironmentName} again, review it, then InfraApply";
        var head = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));
        if (!ctx.IsDryRun)
        {
            CheckSavedPlan(ctx.PathOf(PlanRecordFile), planFile, infra, head, planAgain);
        }

        // The apply may run on another machine or job than the plan: init makes sure of the backend and providers.
        await ctx.RunAsync(TerraformCli.Init(stack, infra.Backend, Reconfigure));
        var shown = await ctx.RunAsync(TerraformCli.ShowJson(stack, planFile), echoOutput: false);
        if (!ctx.IsDryRun)
        {
            // Checked again here: allow_destroy may have been turned off since the plan was made.
            var summary = PlanSummary.Parse(shown.StandardOutput);
            if (DestroyRefusal(summary, infra, head) is { } refusal)
            {
                throw new InvalidOperationException(refusal);
            }

            ctx.Info(summary.RenderTable().TrimEnd('\n'));
        }

        var apply = TerraformCli.Apply(stack, planFile);
        var result = await ctx.RunAsync(apply.AcceptingAnyExitCode());
        if (TerraformOutput.IsStalePlan(result))
        {
            throw new InvalidOperationException(
                $"Terraform refused the saved plan for {EnvironmentName}: the state changed after InfraPlan made it (another apply ran in between), so the plan is stale. Nothing was applied: {planAgain}.");
        }

        if (result.ExitCode != 0)
        {
            throw new ToolFailedException(apply, result);
        }

        // A saved plan is spent once applied (Terraform would call it stale); remove it so the next apply needs a new plan.
        await ctx.DoAsync($"remove the applied plan in {InfraDirectory}", () =>
        {
            File.Delete(planFile);
            File.Delete(ctx.PathOf(PlanRecordFile));
        });
    }

    /// <summary>The saved plan may be applied only as InfraPlan left it: from HEAD, for this stack, with its hash, not refused.</summary>
    private void CheckSavedPlan(string recordFile, string planFile, InfraSettings infra, string head, string planAgain)
    {
        var record = SavedInfraPlan.ReadOrNull(recordFile)
            ?? throw new InvalidOperationException($"There is no saved plan for {EnvironmentName} ({PlanRecordFile} is missing): run ./build.sh --target InfraPlan --env {EnvironmentName} first.");
        if (record.IsRefused)
        {
            throw new InvalidOperationException(
                $"The last plan for {EnvironmentName} (commit {Short(record.Commit)}) was refused because it deletes or replaces {string.Join(", ", record.RefusedDestroying)}; there is nothing to apply. " +
                $"Change the configuration so nothing is destroyed, or set infra.allow_destroy: true in {EnvironmentFile}, then {planAgain}.");
        }

        if (!string.Equals(record.Commit, head, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The saved plan for {EnvironmentName} belongs to commit {Short(record.Commit)}, but HEAD is {Short(head)}: {planAgain}.");
        }

        if (!string.Equals(record.Stack, infra.Stack, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The saved plan for {EnvironmentName} is of the stack {record.Stack}, but {EnvironmentFile} now names {infra.Stack}: {planAgain}.");
        }

        if (!File.Exists(planFile) || record.PlanSha256 != SavedInfraPlan.HashOf(planFile))
        {
            throw new InvalidOperationException($"{PlanFile} is {(File.Exists(planFile) ? "not the file InfraPlan saved (its hash differs)" : "missing")}; the plan of commit {Short(record.Commit)} cannot be applied: {planAgain}.");
        }
    }

    /// <summary>The refusal message when <paramref name="summary"/> deletes or replaces anything and the environment does not allow it; else null.</summary>
    private string? DestroyRefusal(PlanSummary summary, InfraSettings infra, string commit)
    {
        var destructive = summary.Destructive;
        if (destructive.Count == 0 || infra.AllowDestroy)
        {
            return null;
        }

        return $"Refused: the plan of {infra.Stack} for {EnvironmentName} (commit {Short(commit)}) would destroy {destructive.Count} resource(s), and {EnvironmentFile} does not set infra.allow_destroy:{System.Environment.NewLine}" +
            string.Join(System.Environment.NewLine, destructive.Select(c => $"  {PlanSummary.Name(c.Action)} {c.Address}")) + System.Environment.NewLine +
            "Change the configuration so nothing is deleted or replaced, or set infra.allow_destroy: true for this environment and plan again.";
    }

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;
}
