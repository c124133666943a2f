using Slipway.Processes;
using Slipway.Tools.Helm;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the helm wrapper (lint and template; the same in Helm 3 and 4).</summary>
public sealed class HelmCliTests
{
    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Lint_is_strict_by_default_and_applies_values_files_in_order()
    {
        var lint = HelmCli.Lint("charts/app", ["charts/app/values-prod.yaml", "artifacts/helm/prod/values.yaml"]);

        Assert.Equal("helm", lint.Tool);
        Assert.Equal(
            ["lint", "--strict", "charts/app", "--values", "charts/app/values-prod.yaml", "--values", "artifacts/helm/prod/values.yaml"],
            Tokens(lint));
        Assert.Equal(["lint", "charts/app"], Tokens(HelmCli.Lint("charts/app", strict: false)));
    }

    [Fact]
    public void Template_names_the_release_the_chart_the_namespace_and_the_values_files()
    {
        Assert.Equal(
            ["template", "slipway-canary", "charts/app", "--namespace", "slipway", "--values", "artifacts/helm/prod/values.yaml"],
            Tokens(HelmCli.Template("slipway-canary", "charts/app", "slipway", ["artifacts/helm/prod/values.yaml"])));
        Assert.Equal(["template", "slipway-dev", "charts/app"], Tokens(HelmCli.Template("slipway-dev", "charts/app")));
    }
}
