using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests.Helm;

/// <summary>
/// Where the helm/kubectl test double and the real Helm it renders charts with are, and a runner that gives every
/// tool the double's variables (its state directory, the real Helm, the Helm major it plays) without touching the
/// test process's environment, which other test classes share.
/// </summary>
public static class KubeDouble
{
    public const string Context = "kube-double";

    public static string Directory
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.KubeDouble", "bin", configuration, "net10.0");
            return File.Exists(Path.Combine(path, "kube-double.dll")) ? path : throw new FileNotFoundException("The kube double is not built: " + path);
        }
    }

    public static string Helm => Path.Combine(Directory, "helm");

    public static string Kubectl => Path.Combine(Directory, "kubectl");

    /// <summary>
    /// The real Helm: KUBE_DOUBLE_REAL_HELM, else the provisioned .slipway/tools/bin/helm. Missing fails the test (here and
    /// in CI alike): the double cannot know what a chart renders without it.
    /// </summary>
    public static string RealHelm
    {
        get
        {
            var candidates = new[] { Environment.GetEnvironmentVariable("KUBE_DOUBLE_REAL_HELM"), Path.Combine(TestPaths.RepositoryRoot, ".slipway", "tools", "bin", "helm") };
            return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c))
                ?? throw new InvalidOperationException("No real helm for the kube double to render charts with: run ./build.sh --target Provision (it installs .slipway/tools/bin/helm) or set KUBE_DOUBLE_REAL_HELM.");
        }
    }

    public static IReadOnlyDictionary<string, string> Variables(string state, string helmMajor) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["KUBE_DOUBLE_STATE"] = state,
        ["KUBE_DOUBLE_REAL_HELM"] = RealHelm,
        ["KUBE_DOUBLE_HELM_VERSION"] = helmMajor,
    };
}

/// <summary>Runs every invocation with extra environment variables.</summary>
public sealed class EnvironmentAddingRunner(IToolRunner inner, IReadOnlyDictionary<string, string> variables) : IToolRunner
{
    public Task<ToolResult> RunAsync(ToolInvocation invocation, IToolOutput output, CancellationToken cancellationToken) =>
        inner.RunAsync(variables.Aggregate(invocation, (i, v) => i.WithEnvironment(v.Key, v.Value)), output, cancellationToken);

    public string? Locate(string tool) => inner.Locate(tool);
}

/// <summary>
/// The Helm tests need no Docker engine, so they stay out of the Docker workspace's collection; they run on their own,
/// after the parallel collections, so the many short helm/kubectl processes they start never compete for CPU with the
/// zero-downtime load test of the Compose deploy.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialKubeDoubleTests
{
    public const string Name = "kube double";
}
