using Slipway.Delivery;
using Slipway.Targets;
using Slipway.Tools.Helm;
using ChartValues = Slipway.Delivery.Helm.HelmValues;

namespace Slipway.Build;

/// <summary>
/// The Helm chart (charts/app): its values from the environment matrix and release.json, and the manifests they render.
/// The Helm deploy driver calls <see cref="WriteHelmValuesAsync"/>; HelmValues and HelmTemplate let a person look.
/// </summary>
public sealed partial class SlipwayPipeline
{
    private const string DefaultChart = "charts/app";

    /// <summary>Where the values for the --env environment are written, relative to the repository root.</summary>
    private string HelmValuesPath => $"artifacts/helm/{EnvironmentName}/values.yaml";

    private string HelmManifestsPath => $"artifacts/helm/{EnvironmentName}/manifests.yaml";

    /// <summary>delivery.helm.chart, else charts/app (Compose environments render it too, as a check of their values).</summary>
    private string HelmChart => Environments.Current.Delivery.Helm?.Chart ?? DefaultChart;

    public Target HelmValues => _ => _
        .Describe($"Write the chart values for an environment (--env) from its matrix and {ReleaseFile} into artifacts/helm/<env>/values.yaml")
        .After(Publish)
        .Consumes(ReleaseFile)
        .Executes(async ctx => await WriteHelmValuesAsync(ctx));

    public Target HelmTemplate => _ => _
        .Describe("Render the chart for an environment (--env): helm lint --strict, then helm template into artifacts/helm/<env>/manifests.yaml")
        .DependsOn(HelmValues)
        .Executes(RenderChartAsync);

    /// <summary>
    /// Writes the chart values of the --env environment for the release in <c>artifacts/release.json</c> (stable
    /// track, no canary traffic) and returns their path, relative to the repository root.
    /// </summary>
    private async Task<string> WriteHelmValuesAsync(TargetContext ctx)
    {
        var path = HelmValuesPath;
        await ctx.DoAsync($"write {path}", () =>
        {
            var values = ChartValues.Create(Environments.Current, ReleaseManifest.Read(ctx.PathOf(ReleaseFile)));
            var file = ctx.PathOf(path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, values.ToYaml());
        });
        return path;
    }

    private async Task RenderChartAsync(TargetContext ctx)
    {
        var helm = Environments.Current.Delivery.Helm;

        // The environment's own values files first, the generated values last: digests and replicas come from the matrix.
        string[] valuesFiles = [.. (helm?.ValuesFiles ?? []).Select(ctx.PathOf), ctx.PathOf(HelmValuesPath)];
        var chart = ctx.PathOf(HelmChart);
        await ctx.RunAsync(HelmCli.Lint(chart, valuesFiles));
        var rendered = await ctx.RunAsync(
            HelmCli.Template(helm?.Release ?? $"slipway-{EnvironmentName}", chart, helm?.Namespace, valuesFiles),
            echoOutput: false);
        await ctx.DoAsync($"write {HelmManifestsPath}", () =>
        {
            var file = ctx.PathOf(HelmManifestsPath);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, rendered.StandardOutput);
        });
    }
}
