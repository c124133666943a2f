using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Tests.Dummy;

/// <summary>
/// A pipeline run as a real process by the signal tests: Sleep starts this program's spawn-sleeper
/// (a child with a sleeping grandchild) and Cleanup, its Finally target, leaves a marker file.
/// </summary>
public sealed class SignalTestPipeline : Pipeline
{
    [Parameter("Where spawn-sleeper writes the grandchild's PID")]
    public string PidFile { get; init; } = "sleeper.pid";

    [Parameter("Where Cleanup writes its marker")]
    public string Marker { get; init; } = "cleanup.marker";

    public Target Sleep => _ => _
        .Finally(Cleanup)
        .Executes(ctx => ctx.RunAsync(ToolInvocation.Of("dotnet").WithArguments(typeof(SignalTestPipeline).Assembly.Location, "spawn-sleeper", PidFile)));

    public Target Cleanup => _ => _
        .Executes(ctx => ctx.DoAsync("write the cleanup marker", () => File.WriteAllText(Marker, "cleaned up")));
}
