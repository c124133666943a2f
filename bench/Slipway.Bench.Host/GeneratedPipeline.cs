using System.Globalization;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Bench.Host;

/// <summary>
/// Generates N targets. Independent ones (for parallelism) each wait; layered ones (for the planner)
/// each depend on up to three earlier targets and run one command, so a dry run prints it.
/// </summary>
public sealed class GeneratedPipeline : Pipeline
{
    [Parameter("How many targets to generate")]
    public int Count { get; init; } = 16;

    [Parameter("Make the targets independent of one another")]
    public bool Independent { get; init; }

    [Parameter("Each target waits this long (milliseconds)")]
    public int WaitMs { get; init; }

    public override string Title => "Slipway bench";

    public Target All => _ => _
        .Describe("Every generated target")
        .DependsOn([.. Enumerable.Range(0, Count).Select(Name)]);

    protected override Target DefaultTarget => All;

    protected override void DefineTargets(TargetRegistry targets)
    {
        for (var i = 0; i < Count; i++)
        {
            var name = Name(i);
            string[] dependencies = Independent ? [] : [.. new[] { i - 1, i / 2, i / 3 }.Where(d => d >= 0 && d < i).Distinct().Select(Name)];
            targets.Add(name, _ => _
                .DependsOn(dependencies)
                .Executes(ctx => WaitMs > 0
                    ? ctx.DoAsync($"wait {WaitMs} ms", token => Task.Delay(WaitMs, token))
                    : ctx.RunAsync(ToolInvocation.Of("true").WithArguments("--target", name))));
        }
    }

    private static string Name(int index) => "T" + index.ToString("D4", CultureInfo.InvariantCulture);
}
