using Slipway.Delivery.Compose;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>How deploy drivers run a tool whose failure is a failed deploy step.</summary>
internal static class DeploySteps
{
    /// <summary>
    /// Runs <paramref name="invocation"/>; a failing exit code, or a tool that cannot start, becomes a
    /// <see cref="DeployStepException"/> naming the command and the tool's reason.
    /// </summary>
    public static async Task RunCheckedAsync(this IToolSession session, ToolInvocation invocation, bool echo = true)
    {
        ToolResult result;
        try
        {
            result = await session.RunAsync(invocation.AcceptingAnyExitCode(), echo);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ToolNotFoundException)
        {
            throw new DeployStepException($"{invocation.Tool} could not run: {e.Message}", e);
        }

        if (result.ExitCode != 0)
        {
            // The tokens without stdin: the command names what failed (which Deployment, which revision); a manifest would only add noise.
            var command = string.Join(' ', invocation.Arguments.Select(a => a.Display()));
            throw new DeployStepException($"{invocation.Tool} {command} exited with {result.ExitCode}: {result.Reason}");
        }
    }
}
