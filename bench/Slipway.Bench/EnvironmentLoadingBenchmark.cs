using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Slipway.Environments;

namespace Slipway.Bench;

/// <summary>
/// Loads and validates three environments (dev, staging, prod over a shared base) of 300 services
/// each: what every pipeline run pays before its first target. Target: median ≤ 150 ms.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class EnvironmentLoadingBenchmark
{
    private const int ServiceCount = 300;
    private static readonly Dictionary<string, string> Variables = new() { ["REGISTRY_ADDRESS"] = "127.0.0.1:5000" };
    private string _root = "";

    [GlobalSetup]
    public void WriteEnvironments()
    {
        _root = Directory.CreateTempSubdirectory("slipway-bench-").FullName;
        var directory = Directory.CreateDirectory(Path.Combine(_root, "environments")).FullName;
        File.WriteAllText(Path.Combine(directory, "base.yml"), Base());
        File.WriteAllText(Path.Combine(directory, "dev.yml"), Child("trigger:\n  on: pull_request\n", replicas: 1));
        File.WriteAllText(Path.Combine(directory, "staging.yml"), Child("trigger:\n  on: branch\n  pattern: main\n", replicas: 2));
        File.WriteAllText(Path.Combine(directory, "prod.yml"), Child("""
            trigger:
              on: tag
              pattern: v*
            supply_chain:
              require_signature: true
              signing:
                mode: keyless
                identity: https://github.com/slipway-dev/slipway/.github/workflows/release.yml@refs/tags/v*
                issuer: https://token.actions.githubusercontent.com
            canary:
              steps:
                - { weight: 10, duration: 30m }
                - { weight: 50, duration: 30m }

            """, replicas: 4));

        var results = Load();
        if (results.Count != 3 || results.Any(r => !r.Succeeded || r.Environment!.Services.Count != ServiceCount))
        {
            throw new InvalidOperationException("benchmark input does not load: " + string.Join("\n", results.SelectMany(r => r.Errors)));
        }
    }

    [GlobalCleanup]
    public void DeleteEnvironments() => Directory.Delete(_root, recursive: true);

    [Benchmark(Description = "LoadAll: 3 environments x 300 services")]
    public IReadOnlyList<EnvironmentLoadResult> Load() =>
        new EnvironmentLoader(_root).LoadAll("environments", Variables);

    private static string Base()
    {
        var yaml = new StringBuilder("""
            delivery:
              driver: compose
              compose:
                project: bench-${SLIPWAY_ENVIRONMENT}
            registry:
              address: ${REGISTRY_ADDRESS}
              password: env:REGISTRY_PASSWORD
            slo:
              probes:
                - { name: ready, path: /health/ready, p95_latency: 300ms, max_error_rate: 0.01 }
            state_directory: .slipway/state/${SLIPWAY_ENVIRONMENT}
            services:

            """);
        for (var i = 0; i < ServiceCount; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  svc{i}:
                    image: svc{i}
                    dockerfile: samples/Svc{i}/Dockerfile
                    replicas: 1
                    resources:
                      requests: {"{"} cpu: 250m, memory: 256Mi {"}"}
                      limits: {"{"} cpu: "1", memory: 512Mi {"}"}
                    ports:
                      - name: http
                        port: {8000 + i}
                    env:
                      ASPNETCORE_URLS: http://+:{8000 + i}
                      SERVICE_NAME: svc{i}
                    secrets:
                      ConnectionStrings__Postgres: env:POSTGRES_CONNECTION
                    feature_flags:
                      new_checkout: false
                    health:
                      liveness: /health/live
                      readiness: /health/ready

                """);
        }

        return yaml.ToString();
    }

    private static string Child(string specific, int replicas)
    {
        var yaml = new StringBuilder("extends: base\n").Append(specific).Append("services:\n");
        for (var i = 0; i < ServiceCount; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture,
                $"  svc{i}:\n    replicas: {replicas}\n    resources:\n      limits: {{ memory: 1Gi }}\n    feature_flags:\n      new_checkout: {(replicas > 1 ? "true" : "false")}\n");
        }

        return yaml.ToString();
    }
}
