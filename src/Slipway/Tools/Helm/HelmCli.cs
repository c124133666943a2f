using Slipway.Processes;

namespace Slipway.Tools.Helm;

/// <summary>
/// Renders <c>helm</c> invocations (Helm 3 and 4 take the same flags for these). Pure: nothing here runs a process.
/// </summary>
/// <remarks>
/// Values files are applied in the order given, later ones winning, as <c>helm -f a -f b</c> does.
/// </remarks>
public static class HelmCli
{
    /// <summary>The tool name resolved by <see cref="ToolResolver"/> (<c>SLIPWAY_HELM</c>, PATH, <c>.slipway/tools/bin</c>).</summary>
    public const string Tool = "helm";

    /// <summary>
    /// <c>helm lint [--strict] CHART [-f VALUES]…</c>: exit 1 when the chart does not render with these values
    /// or, with <paramref name="strict"/>, on any warning.
    /// </summary>
    public static ToolInvocation Lint(string chart, IEnumerable<string>? valuesFiles = null, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(chart);
        return WithValues(ToolInvocation.Of(Tool).WithArguments("lint").WithFlag("--strict", strict).WithArguments(chart), valuesFiles);
    }

    /// <summary>
    /// <c>helm template RELEASE CHART [--namespace NS] [-f VALUES]…</c>: the manifests on stdout, rendered offline
    /// (no cluster is asked), as multi-document YAML.
    /// </summary>
    public static ToolInvocation Template(string release, string chart, string? @namespace = null, IEnumerable<string>? valuesFiles = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(release);
        ArgumentException.ThrowIfNullOrWhiteSpace(chart);
        var invocation = ToolInvocation.Of(Tool)
            .WithArguments("template", release, chart)
            .WithOption("--namespace", @namespace);
        return WithValues(invocation, valuesFiles);
    }

    private static ToolInvocation WithValues(ToolInvocation invocation, IEnumerable<string>? valuesFiles)
    {
        foreach (var file in valuesFiles ?? [])
        {
            invocation = invocation.WithOption("--values", file);
        }

        return invocation;
    }
}
