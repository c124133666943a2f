using System.Text.RegularExpressions;
using Slipway.IntegrationTests.Support;
using Slipway.Processes;
using Slipway.Tools.Helm;

namespace Slipway.IntegrationTests;

/// <summary>
/// Every flag Slipway passes to helm exists in that binary: each <see cref="HelmCli"/> invocation, rendered for the
/// real binary's version (Helm 4 as <c>helm</c>, Helm 3 as <c>helm3</c>), has each of its flags listed by
/// <c>helm SUBCOMMAND --help</c>, and a flag given a value with <c>=</c> (Helm 4's <c>--wait=watcher</c>) has that value
/// named in the flag's help. The golden tests pin the tokens; this pins that the real binaries take them.
/// </summary>
public sealed partial class HelmFlagTests
{
    public static TheoryData<string> HelmBinaries() => [.. RealHelm.Majors.Keys];

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task Every_flag_Slipway_passes_is_in_the_binarys_help(string helm)
    {
        var version = RealHelm.Require(helm).Version;
        var release = new HelmReleaseName("slipway", "slipway", "prod-cluster");
        var upgrade = new HelmUpgrade { Release = release, Chart = "charts/app", ValuesFiles = ["a.yaml", "b.yaml"], CreateNamespace = true, Timeout = TimeSpan.FromMinutes(5), HistoryMax = 10 };
        ToolInvocation[] invocations =
        [
            HelmCli.Version(),
            HelmCli.Lint("charts/app", ["a.yaml"]),
            HelmCli.Template("slipway", "charts/app", "slipway", ["a.yaml"]),
            HelmCli.UpgradeInstall(upgrade, version),
            HelmCli.UpgradeInstall(upgrade with { RollbackOnFailure = false }, version),
            HelmCli.History(release),
            HelmCli.Rollback(release, 3, TimeSpan.FromMinutes(5), 10, version),
            HelmCli.Status(release),
            HelmCli.Uninstall(release, wait: true),
        ];

        var missing = new List<string>();
        var checkedFlags = 0;
        foreach (var invocation in invocations)
        {
            var tokens = invocation.Arguments.Select(a => a.Reveal()).ToList();
            var subcommand = tokens[0];
            var help = await HelpAsync(helm, subcommand);
            foreach (var token in tokens.Skip(1).Where(t => t.StartsWith('-')))
            {
                checkedFlags++;
                var (name, value) = token.Split('=', 2) is [var n, var v] ? (n, v) : (token, null);
                var line = help.FirstOrDefault(l => FlagsOf(l).Contains(name, StringComparer.Ordinal));
                if (line is null)
                {
                    missing.Add($"{helm} {subcommand}: {name} is not in '{helm} {subcommand} --help' (from {invocation.ToDisplayString(includeEnvironment: false)})");
                }
                else if (value is not null && !line.Contains(value, StringComparison.Ordinal))
                {
                    missing.Add($"{helm} {subcommand}: {token}: '{line.Trim()}' does not name the value '{value}'");
                }
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
        Assert.True(checkedFlags > 30, $"only {checkedFlags} flags checked");
    }

    [Theory]
    [InlineData("helm3", "--atomic")]
    [InlineData("helm", "--rollback-on-failure")]
    public void Each_major_gets_its_own_rollback_flag(string helm, string flag)
    {
        var version = RealHelm.Require(helm).Version;
        var upgrade = new HelmUpgrade { Release = new HelmReleaseName("slipway", "slipway", null), Chart = "charts/app" };

        Assert.Contains(flag, HelmCli.UpgradeInstall(upgrade, version).Arguments.Select(a => a.Reveal()));
    }

    /// <summary>The help's lines: flags are the ones starting with spaces then <c>-</c>.</summary>
    private static async Task<IReadOnlyList<string>> HelpAsync(string helm, string subcommand)
    {
        var result = await RealHelm.Runner(helm).RunAsync(ToolInvocation.Of(HelmCli.Tool).WithArguments(subcommand, "--help"), NullToolOutput.Instance, CancellationToken.None);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Split('\n');
    }

    /// <summary><c>  -f, --values strings  …</c> → <c>-f</c>, <c>--values</c>.</summary>
    private static IReadOnlyList<string> FlagsOf(string helpLine) =>
        FlagLine().Match(helpLine) is { Success: true } match
            ? [.. new[] { match.Groups["short"].Value, match.Groups["long"].Value }.Where(f => f.Length > 0)]
            : [];

    [GeneratedRegex(@"^\s+(?:(?<short>-\w),\s+)?(?<long>--[\w-]+)", RegexOptions.CultureInvariant)]
    private static partial Regex FlagLine();
}
