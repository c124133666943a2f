using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Tools.Doctor;

/// <summary>A tool a pipeline needs: how to ask its version, how to install it, and which targets need it.</summary>
/// <param name="Tool">The executable's name, resolved like every tool (SLIPWAY_TOOL, PATH, tool directories).</param>
/// <param name="VersionArguments">Arguments that print its version, e.g. <c>--version</c>.</param>
/// <param name="Install">How to install it, e.g. <c>apt-get install docker.io</c>.</param>
/// <param name="Blocks">The targets that cannot run without it.</param>
/// <param name="Optional">True when targets degrade without it rather than fail (a scanner, say).</param>
/// <param name="ReadVersion">Reads the version from the output, for a tool whose first version-looking token is not
/// its own (cosign's unstamped builds print only the Go version); null for <see cref="ToolProbe.FirstVersion"/>.</param>
public sealed record ToolRequirement(string Tool, IReadOnlyList<string> VersionArguments, string Install, IReadOnlyList<string> Blocks, bool Optional = false, Func<string, string?>? ReadVersion = null);

/// <summary>What a probe found: present with a version, or missing.</summary>
public sealed record ToolStatus(ToolRequirement Requirement, bool Present, string? Version, string? Problem);

/// <summary>Probes requirements by running each tool's version command, quietly.</summary>
public static partial class ToolProbe
{
    /// <summary>Runs <paramref name="run"/> for each requirement's version command and reports what it found.</summary>
    public static async Task<IReadOnlyList<ToolStatus>> ProbeAsync(IEnumerable<ToolRequirement> requirements, Func<ToolInvocation, Task<ToolResult>> run)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        ArgumentNullException.ThrowIfNull(run);
        var statuses = new List<ToolStatus>();
        foreach (var requirement in requirements)
        {
            try
            {
                var result = await run(ToolInvocation.Of(requirement.Tool).WithArguments(requirement.VersionArguments.Select(InvocationValue.FromString)).AcceptingAnyExitCode());
                statuses.Add(result.ExitCode == 0
                    ? new ToolStatus(requirement, true, (requirement.ReadVersion ?? FirstVersion)(result.StandardOutput + "\n" + result.StandardError), null)
                    : new ToolStatus(requirement, false, null, $"'{requirement.Tool} {string.Join(' ', requirement.VersionArguments)}' exited with {result.ExitCode}"));
            }
            catch (ToolNotFoundException ex)
            {
                statuses.Add(new ToolStatus(requirement, false, null, ex.Message));
            }
        }

        return statuses;
    }

    /// <summary>The first version-looking token of a tool's output: <c>28.2.2</c>, <c>v4.1.4</c>.</summary>
    public static string? FirstVersion(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var match = VersionPattern().Match(output);
        return match.Success ? match.Value : output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim();
    }

    /// <summary>A plain-text table of statuses, and for each missing tool what it blocks and how to install it.</summary>
    public static IReadOnlyList<string> Report(IReadOnlyList<ToolStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var width = statuses.Max(s => s.Requirement.Tool.Length);
        var lines = new List<string>();
        foreach (var status in statuses)
        {
            var state = status.Present ? "ok     " : status.Requirement.Optional ? "absent " : "MISSING";
            var detail = status.Present ? status.Version ?? string.Empty : $"blocks {string.Join(", ", status.Requirement.Blocks)}; install: {status.Requirement.Install}";
            lines.Add($"{status.Requirement.Tool.PadRight(width)}  {state}  {detail}");
        }

        return lines;
    }

    [GeneratedRegex(@"v?\d+\.\d+(\.\d+)?([-+.][0-9A-Za-z.-]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
