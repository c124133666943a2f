using System.Globalization;
using Slipway.Processes;

namespace Slipway.Tools.Helm;

/// <summary>
/// Renders <c>helm</c> invocations. Pure: nothing here runs a process. Flags that differ between Helm 3 and Helm 4
/// are chosen from the <see cref="HelmVersion"/> given, which a pipeline reads once with <see cref="Version"/>; lint and
/// template take the same flags on both.
/// </summary>
/// <remarks>
/// Values files are applied in the order given, later ones winning, as <c>helm -f a -f b</c> does.
/// </remarks>
public static partial class HelmCli
{
    /// <summary>The tool name resolved by <see cref="ToolResolver"/> (<c>SLIPWAY_HELM</c>, PATH, <c>.slipway/tools/bin</c>).</summary>
    public const string Tool = "helm";

    /// <summary><c>helm version --short</c>; read the result with <see cref="HelmVersion.Parse"/>.</summary>
    public static ToolInvocation Version() => ToolInvocation.Of(Tool).WithArguments("version", "--short");

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

    /// <summary>
    /// <c>helm upgrade --install RELEASE CHART --namespace N [--kube-context C] [--create-namespace] -f V… --timeout D
    /// --history-max N</c>, then the flags that make a failed upgrade roll itself back and wait for readiness:
    /// <c>--atomic --wait</c> on Helm 3, <c>--rollback-on-failure --wait=watcher</c> on Helm 4 (which deprecated
    /// <c>--atomic</c> and made <c>--wait</c> take a strategy). Values files are applied in the order given: later ones win.
    /// </summary>
    public static ToolInvocation UpgradeInstall(HelmUpgrade upgrade, HelmVersion version)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentException.ThrowIfNullOrWhiteSpace(upgrade.Chart);
        ArgumentOutOfRangeException.ThrowIfNegative(upgrade.HistoryMax);
        var invocation = Scoped(ToolInvocation.Of(Tool).WithArguments("upgrade", "--install", Name(upgrade.Release), upgrade.Chart), upgrade.Release)
            .WithFlag("--create-namespace", upgrade.CreateNamespace);
        foreach (var file in upgrade.ValuesFiles)
        {
            invocation = invocation.WithOption("-f", file);
        }

        invocation = invocation
            .WithOption("--timeout", Seconds(upgrade.Timeout))
            .WithOption("--history-max", upgrade.HistoryMax.ToString(CultureInfo.InvariantCulture));
        if (!upgrade.RollbackOnFailure)
        {
            return version.HasWaitStrategies ? invocation.WithArguments("--wait=watcher") : invocation.WithFlag("--wait");
        }

        return version.HasWaitStrategies
            ? invocation.WithArguments("--rollback-on-failure", "--wait=watcher")
            : invocation.WithArguments("--atomic", "--wait");
    }

    /// <summary><c>helm history RELEASE --namespace N [--kube-context C] -o json</c>; read it with <see cref="HelmReleaseHistory.Parse"/>.
    /// A release that does not exist exits 1 with <c>Error: release: not found</c>.</summary>
    public static ToolInvocation History(HelmReleaseName release) =>
        Scoped(ToolInvocation.Of(Tool).WithArguments("history", Name(release)), release).WithArguments("-o", "json");

    /// <summary>
    /// <c>helm rollback RELEASE REVISION --namespace N [--kube-context C] --timeout D --history-max N</c> and the wait
    /// flag (<c>--wait</c> on Helm 3, <c>--wait=watcher</c> on Helm 4). Helm records the rollback as a new revision whose
    /// description is <c>Rollback to REVISION</c>.
    /// </summary>
    public static ToolInvocation Rollback(HelmReleaseName release, int revision, TimeSpan timeout, int historyMax, HelmVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentOutOfRangeException.ThrowIfLessThan(revision, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(historyMax);
        var invocation = Scoped(ToolInvocation.Of(Tool).WithArguments("rollback", Name(release), revision.ToString(CultureInfo.InvariantCulture)), release)
            .WithOption("--timeout", Seconds(timeout))
            .WithOption("--history-max", historyMax.ToString(CultureInfo.InvariantCulture));
        return version.HasWaitStrategies ? invocation.WithArguments("--wait=watcher") : invocation.WithFlag("--wait");
    }

    /// <summary><c>helm status RELEASE --namespace N [--kube-context C] -o json</c>.</summary>
    public static ToolInvocation Status(HelmReleaseName release) =>
        Scoped(ToolInvocation.Of(Tool).WithArguments("status", Name(release)), release).WithArguments("-o", "json");

    /// <summary><c>helm uninstall RELEASE --namespace N [--kube-context C] [--wait]</c>.</summary>
    public static ToolInvocation Uninstall(HelmReleaseName release, bool wait = false) =>
        Scoped(ToolInvocation.Of(Tool).WithArguments("uninstall", Name(release)), release).WithFlag("--wait", wait);

    private static ToolInvocation Scoped(ToolInvocation invocation, HelmReleaseName release) =>
        invocation.WithOption("--namespace", release.Namespace).WithOption("--kube-context", release.KubeContext);

    private static string Name(HelmReleaseName release)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentException.ThrowIfNullOrWhiteSpace(release.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(release.Namespace);
        return release.Name;
    }

    /// <summary>Helm reads Go durations; whole seconds always parse (<c>300s</c>).</summary>
    private static string Seconds(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return ((long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
    }
}

/// <summary>Which release, where: the name, its namespace and the kubeconfig context (null: the current context).</summary>
/// <param name="Name">The release name.</param>
/// <param name="Namespace">The namespace it lives in.</param>
/// <param name="KubeContext">The kubeconfig context; null for the current one.</param>
public sealed record HelmReleaseName(string Name, string Namespace, string? KubeContext);

/// <summary>The settings of one <c>helm upgrade --install</c>.</summary>
public sealed record HelmUpgrade
{
    /// <summary>The release and where it lives.</summary>
    public required HelmReleaseName Release { get; init; }

    /// <summary>The chart: a directory, a packaged chart or <c>repo/name</c>.</summary>
    public required string Chart { get; init; }

    /// <summary>Values files, in order; later ones override earlier ones.</summary>
    public IReadOnlyList<string> ValuesFiles { get; init; } = [];

    /// <summary>Creates the namespace when it does not exist.</summary>
    public bool CreateNamespace { get; init; }

    /// <summary>How long Helm waits for every resource to be ready.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many revisions Helm keeps; rollback targets older than that are gone.</summary>
    public int HistoryMax { get; init; } = 10;

    /// <summary>Roll a failed upgrade back at once (Helm 3 <c>--atomic</c>, Helm 4 <c>--rollback-on-failure</c>).</summary>
    public bool RollbackOnFailure { get; init; } = true;
}
