using System.Globalization;

namespace Slipway.IntegrationTests.Support;

/// <summary>
/// The environment file the deploy stories write for their own Compose stack: the local engine, a project and port of
/// the run's own, the workspace's registry prefix, two api replicas with an optional <c>FAULT_MODE</c>, a one-day
/// backup retention, fast probes and a 90 s health timeout. Each story adds what is its own (trigger, canary, policy).
/// </summary>
public static class StackEnvironment
{
    /// <summary>
    /// The order transaction probe as an item of <c>slo.probes</c> (indented by two spaces): POST an order through the proxy,
    /// then poll it until the worker has processed it, within <paramref name="within"/>.
    /// </summary>
    public static string OrderProcessedProbe(string within) => $$"""
            - name: order-processed
              path: /orders
              expected_status: 201
              samples: 1
              p95_latency: {{within}}
              max_error_rate: 0
              request:
                method: POST
                headers:
                  Accept: application/json
                body: '{"item":"slo-transaction-probe","quantity":1}'
              follow_up:
                path: /orders/{id}
                field: status
                value: processed
                within: {{within}}
                interval: 500ms

        """;

    /// <summary>
    /// The YAML; <paramref name="probes"/> are (name, path) pairs probed 5 × 200 ms, p95 under 1 s, no errors; those named
    /// in <paramref name="proxyOnly"/> are not sent straight to new containers before traffic (<c>direct: false</c>);
    /// <paramref name="ingressExtra"/> are more lines of the <c>ingress</c> section (each starting with a newline and two spaces);
    /// <paramref name="extraProbes"/> more items of <c>slo.probes</c>, as YAML indented by two spaces;
    /// <paramref name="rolloutExtra"/> more lines of the <c>rollout</c> section (each starting with a newline and two spaces);
    /// <paramref name="workerFaultMode"/>, when given, the worker's <c>FAULT_MODE</c> (empty for none);
    /// <paramref name="warmup"/> the requests each of <paramref name="probes"/> sends unjudged first (<c>warmup</c>).
    /// </summary>
    public static string Render(string purpose, string trigger, string project, string prefix, int port, string? faultMode, IEnumerable<(string Name, string Path)> probes, string extra = "", IReadOnlyCollection<string>? proxyOnly = null, string ingressExtra = "", string extraProbes = "", string rolloutExtra = "", string? workerFaultMode = null, int warmup = 0)
    {
        var worker = workerFaultMode is null ? string.Empty : $"\n  worker:\n    env:\n      FAULT_MODE: \"{workerFaultMode}\"";
        var probeList = string.Concat(probes.Select(p => $"""
                - name: {p.Name}
                  path: {p.Path}
                  samples: 5
                  interval: 200ms
                  p95_latency: 1s
                  max_error_rate: 0
                  warmup: {warmup}
                  direct: {(proxyOnly?.Contains(p.Name) == true ? "false" : "true")}

            """));
        probeList += extraProbes;
        return string.Create(CultureInfo.InvariantCulture, $"""
            # yaml-language-server: $schema=./environment.schema.json
            # Integration tests: {purpose}
            extends: dev
            {trigger.Trim()}
            delivery:
              driver: compose
              compose:
                project: {project}
            registry:
              repository_prefix: {prefix}
            ingress:
              http_port: {port}{ingressExtra}
            services:
              api:
                replicas: 2
                env:
                  FAULT_MODE: "{faultMode ?? string.Empty}"{worker}
            data:
              postgres:
                backup:
                  before_deploy: true
                  retention: 1d
            slo:
              probes:
            {probeList.TrimEnd()}
            rollout:
              health_timeout: 90s{rolloutExtra}

            """) + extra;
    }
}
