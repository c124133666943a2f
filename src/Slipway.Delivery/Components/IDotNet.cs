using Slipway.Targets;
using Slipway.Tools.DotNet;

namespace Slipway.Delivery.Components;

/// <summary>The .NET build configuration.</summary>
public enum BuildConfiguration
{
    /// <summary>Debug.</summary>
    Debug,

    /// <summary>Release.</summary>
    Release,
}

/// <summary>The repository's .NET solution: Restore (locked in CI) and Compile (warnings as errors).</summary>
public interface IDotNet : IPipeline
{
    /// <summary>--configuration.</summary>
    [Parameter("Build configuration")]
    BuildConfiguration Configuration => TryGetValue(() => Configuration, BuildConfiguration.Release);

    /// <summary>--ci: set by CI systems (CI=true); restores in locked mode.</summary>
    [Parameter("Set by CI systems; restores in locked mode when true")]
    bool Ci => TryGetValue(() => Ci);

    /// <summary>Hook: the solution Restore and Compile work on; by convention the one *.slnx or *.sln at the root.</summary>
    string Solution
    {
        get
        {
            var solutions = Directory.Exists(RootDirectory)
                ? Directory.EnumerateFiles(RootDirectory, "*.slnx").Concat(Directory.EnumerateFiles(RootDirectory, "*.sln")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
                : [];
            return solutions.Count == 1 ? solutions[0]!
                : throw new InvalidOperationException(solutions.Count == 0
                    ? $"No solution (*.slnx or *.sln) at {RootDirectory}: create one (dotnet new sln), or name it in the pipeline (string IDotNet.Solution => \"my.slnx\";)."
                    : $"Several solutions at {RootDirectory} ({string.Join(", ", solutions)}): name the one to build in the pipeline (string IDotNet.Solution => \"{solutions[0]}\";).");
        }
    }

    /// <summary>Restores the solution's packages.</summary>
    Target Restore => _ => _
        .Describe("Restore NuGet packages (locked mode in CI); skipped when the project files, lock files and SDK are unchanged since the last restore")
        .Executes(RestoreAsync);

    /// <summary>Builds the solution.</summary>
    Target Compile => _ => _
        .Describe("Compile the solution with warnings as errors")
        .DependsOn(Restore)
        .Executes(ctx => ctx.RunAsync(DotNetCli.Build(Solution, Configuration.ToString())));

    private async Task RestoreAsync(TargetContext ctx)
    {
        // The skip decision asks the SDK for its version; a dry run shows the restore instead.
        var inputs = (string?)null;
        var sdk = (string?)null;
        if (!ctx.IsDryRun)
        {
            sdk = await RunState(() => new DotNetSdkState()).VersionAsync(ctx);
            (inputs, var missing) = RestoreInputs.Hash(RootDirectory, Solution, sdk, Ci);
            var previous = StepRecord.Read<RestoreRecord>(ctx.PathOf(RestoreInputs.RecordPath), RestoreInputs.RecordPath, ctx.Warning);
            if (missing is not null)
            {
                ctx.Info($"Restoring: {missing}.");
            }
            else if (inputs is not null && previous?.Inputs == inputs)
            {
                ctx.Skip($"project files, lock files and SDK {sdk} unchanged since the last restore");
            }
        }

        await ctx.RunAsync(DotNetCli.Restore(Solution, lockedMode: Ci));
        if (inputs is null && sdk is not null)
        {
            // A restore that ran because an output was missing made it: what it read is recorded too, so the next run
            // with nothing changed skips instead of restoring a second time.
            (inputs, _) = RestoreInputs.Hash(RootDirectory, Solution, sdk, Ci);
        }

        if (inputs is not null)
        {
            await ctx.DoAsync("record the restore", () => StepRecord.Write(ctx.PathOf(RestoreInputs.RecordPath), RestoreInputs.RecordPath, new RestoreRecord(inputs), ctx.Warning));
        }
    }
}

/// <summary>
/// The SDK's <c>dotnet --version</c>, asked once per run: Restore and Scan both key their skips on it, and each answer is a
/// .NET start of a third of a second.
/// </summary>
internal sealed class DotNetSdkState
{
    private readonly Lock _lock = new();
    private Task<string>? _version;

    /// <summary>The version the SDK that global.json selects answers, asked on first use.</summary>
    public Task<string> VersionAsync(TargetContext ctx)
    {
        lock (_lock)
        {
            return _version ??= Query(ctx);
        }

        static async Task<string> Query(TargetContext ctx) => (await ctx.QueryAsync(DotNetCli.SdkVersion())).StandardOutput.Trim();
    }
}
