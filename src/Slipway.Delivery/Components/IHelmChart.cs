using Slipway.Delivery.Helm;
using Slipway.Targets;
using Slipway.Tools.Helm;

namespace Slipway.Delivery.Components;

/// <summary>
/// The Helm chart: its values generated from the matrix and release.json (HelmValues), and the manifests they render
/// (HelmTemplate: <c>helm lint --strict</c>, then <c>helm template</c>), with no cluster needed.
/// </summary>
public interface IHelmChart : IBuildImages
{
    /// <summary>Hook: the chart when the environment names none (<c>delivery.helm.chart</c>); Compose environments render it too, as a check of their values.</summary>
    string DefaultChart => "charts/app";

    /// <summary>Writes the chart values of --env.</summary>
    Target HelmValues => _ => _
        .Describe($"Write the chart values for an environment (--env) from its matrix and {ReleaseFile} into artifacts/helm/<env>/values.yaml")
        .After(Publish)
        .UsesEnvironment(this)
        .Consumes(ReleaseFile)
        .Executes(async ctx => await HelmDeployDriver.WriteValuesAsync(ctx, Delivery));

    /// <summary>Lints and renders the chart of --env.</summary>
    Target HelmTemplate => _ => _
        .Describe("Render the chart for an environment (--env): helm lint --strict, then helm template into artifacts/helm/<env>/manifests.yaml")
        .DependsOn(HelmValues)
        .UsesEnvironment(this)
        .Executes(async ctx =>
        {
            var helm = CurrentEnvironment.Delivery.Helm;
            var manifests = $"artifacts/helm/{EnvironmentName}/manifests.yaml";

            // The environment's own values files first, the generated values last: digests and replicas come from the matrix.
            string[] valuesFiles = [.. (helm?.ValuesFiles ?? []).Select(ctx.PathOf), ctx.PathOf(HelmDeployDriver.ValuesPath(EnvironmentName))];
            var chart = ctx.PathOf(helm?.Chart ?? DefaultChart);
            await ctx.RunAsync(HelmCli.Lint(chart, valuesFiles));
            var rendered = await ctx.RunAsync(HelmCli.Template(HelmDeployDriver.ReleaseNameOf(CurrentEnvironment), chart, helm?.Namespace, valuesFiles), echoOutput: false);
            await ctx.DoAsync($"write {manifests}", () =>
            {
                var file = ctx.PathOf(manifests);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, rendered.StandardOutput);
            });
        });
}
