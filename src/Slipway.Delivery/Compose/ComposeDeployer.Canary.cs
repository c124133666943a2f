using System.Globalization;
using Slipway.Delivery.Canary;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;
using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>The Compose side of a canary: <c>SERVICE-canary</c> containers in the proxy's backend, weighted through the runtime API.</summary>
public sealed partial class ComposeDeployer
{
    /// <summary>
    /// The canary traffic of this stack: the new release runs as the routed services' <c>-canary</c> containers beside
    /// <paramref name="stable"/>, and HAProxy weights split the traffic between them.
    /// </summary>
    /// <param name="stable">The release serving now (its override must exist: it is layered under the canary's).</param>
    /// <param name="replicas">Canary containers per routed service.</param>
    /// <param name="releaseOverride">
    /// The new release's own override, written only when it is promoted: an aborted canary leaves the override an
    /// earlier deploy of the same version kept for a rollback as it was.
    /// </param>
    public ICanaryTraffic Canary(ComposeRelease stable, int replicas, ComposeOverride releaseOverride)
    {
        ArgumentNullException.ThrowIfNull(stable);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(replicas);
        ArgumentNullException.ThrowIfNull(releaseOverride);
        return new CanaryTraffic(this, stable, replicas, releaseOverride);
    }

    private sealed class CanaryTraffic(ComposeDeployer deployer, ComposeRelease stable, int replicas, ComposeOverride releaseOverride) : ICanaryTraffic
    {
        private DockerContainer? _proxy;
        private IReadOnlyList<HaproxyServer>? _servers;

        private ComposeDeployment Deployment => deployer._deployment;

        private IToolSession Session => deployer._session;

        private IEnumerable<ComposeAppService> Routed => Deployment.Services.Where(s => s.Routed);

        public string Router => $"HAProxy backend {Deployment.ProxyBackend}";

        public async Task StartAsync(CanaryRelease release, CancellationToken cancellationToken)
        {
            var attempt = new Attempt();
            var next = new ComposeRelease(release.Version, release.Commit, release.Images);

            // Backup and migrations with the new release's image, as a deploy does: the stable release keeps running on
            // the expanded schema (expand → migrate → contract). The one-off needs the images, not the override.
            await deployer.PrepareAsync(deployer.ProjectFor(next, withOverride: false), attempt, Deployment.Migrations.Enabled, Deployment.BackupBeforeDeploy);
            var project = CanaryProject(release);
            foreach (var service in Routed)
            {
                var name = service.Name + ComposeOverride.CanarySuffix;
                Session.Info($"{name}: starting {replicas} container(s) of {release.Version} beside {stable.Version}, with no traffic yet");
                await deployer.RunAsync(ComposeCli.Up(project, [name], noDeps: true,
                    scale: new Dictionary<string, int>(StringComparer.Ordinal) { [name] = replicas }));
                if (Session.IsDryRun)
                {
                    continue;
                }

                var containers = await deployer.ContainersAsync(project, name);
                try
                {
                    containers = await deployer.WaitUntilReadyAsync(containers, name);
                    await deployer.StartProxyAsync(project, service with { Name = name }, containers);
                }
                catch (Exception e) when (e is DeployStepException or ToolFailedException)
                {
                    await deployer.RemoveAsync(containers, $"{name}: removing the canary container(s) that did not become ready");
                    throw;
                }
            }
        }

        public async Task<bool> IsRunningAsync(CanaryRelease release, CancellationToken cancellationToken)
        {
            foreach (var service in Routed)
            {
                var containers = await deployer.ContainersAsync(CanaryProject(release), service.Name + ComposeOverride.CanarySuffix);
                if (containers.Count == 0 || !containers.All(c => c.IsReady))
                {
                    return false;
                }
            }

            return true;
        }

        public async Task SetWeightAsync(int percent, CancellationToken cancellationToken)
        {
            if (Session.IsDryRun)
            {
                Session.Info($"would set the proxy's weights: {percent} % to the canary servers ({Deployment.CanaryServerPrefix}N), the rest to the stable ones");
                return;
            }

            var proxy = await ProxyAsync();
            var servers = await deployer.ServersAsync(proxy);
            (_proxy, _servers) = (proxy, servers);
            var canary = servers.Where(IsCanary).ToList();
            var stableServers = servers.Where(s => !IsCanary(s)).ToList();
            int serving = stableServers.Count(s => s.Address is not null && s.TakesTraffic), canaries = canary.Count(s => s.Address is not null && s.TakesTraffic);
            if (serving == 0 || canaries == 0)
            {
                throw new DeployStepException(
                    $"the proxy routes to {serving} stable and {canaries} canary server(s) in '{Deployment.ProxyBackend}': a split needs both. Servers: {Describe(servers)}");
            }

            var weights = CanaryWeights.For(percent, serving, canaries);
            var commands = stableServers.Select(s => HaproxyRuntimeApi.SetWeight(Deployment.ProxyBackend, s.Name, weights.Stable))
                .Concat(canary.Select(s => HaproxyRuntimeApi.SetWeight(Deployment.ProxyBackend, s.Name, weights.Canary)));
            await deployer.RuntimeApiAsync(proxy, Batch(commands), readOnly: false);
            Session.Info(string.Create(CultureInfo.InvariantCulture,
                $"weights: {serving} stable server(s) × {weights.Stable}, {canaries} canary server(s) × {weights.Canary} = {weights.Share(serving, canaries):0.0} % to the canary"));
        }

        public async Task<CanaryWindow?> MeasureAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
        {
            var proxy = await ProxyAsync();
            var logs = await Session.QueryAsync(DockerCli.Logs(proxy.Id, since: since, until: until, endpoint: deployer.Endpoint));
            var requests = HaproxyLogRequest.ParseAll(logs.StandardOutput + "\n" + logs.StandardError)
                .Where(r => r.Backend == Deployment.ProxyBackend)
                .ToList();
            var canary = requests.Where(r => r.Server.StartsWith(Deployment.CanaryServerPrefix, StringComparison.Ordinal)).Select(r => (r.Failed, r.ResponseTime)).ToList();
            var rest = requests.Where(r => !r.Server.StartsWith(Deployment.CanaryServerPrefix, StringComparison.Ordinal)).Select(r => (r.Failed, r.ResponseTime)).ToList();
            return new CanaryWindow(TrafficSample.Of(canary), TrafficSample.Of(rest));
        }

        public async Task<DeployOutcome> PromoteAsync(CanaryRelease release, string who, CancellationToken cancellationToken)
        {
            // The stable services roll out the new release while the canary keeps its share; then the canary goes.
            var revision = ReleaseRevision.Of(release.Images, releaseOverride.Yaml, releaseOverride.SecretVariables);
            await KeptOverride.WriteAsync(Session, Deployment.OverrideFileOf(release.Version, revision.Id), releaseOverride.Yaml, Path.GetFileName);
            var outcome = await deployer.DeployAsync(new ComposeRelease(release.Version, release.Commit, release.Images, revision), who, promotion: true);
            await RemoveAsync(cancellationToken);
            return outcome;
        }

        public async Task RemoveAsync(CancellationToken cancellationToken)
        {
            if (Session.IsDryRun)
            {
                Session.Info("would set the canary servers' weight to 0, the stable ones' back to 100 %, then drain and remove the canary containers");
                return;
            }

            // The weights first, from what the last split used (the proxy and its slots do not change during a canary):
            // an abort takes the traffic off the canary in one command, not after three lookups on a busy host.
            var proxy = _proxy ?? (await deployer.ContainersAsync(StableProject, Deployment.ProxyService)).FirstOrDefault(c => c.Status == "running");
            if (proxy is not null)
            {
                var servers = _servers ?? await deployer.ServersAsync(proxy);
                var commands = servers.Where(IsCanary).Select(s => HaproxyRuntimeApi.SetWeight(Deployment.ProxyBackend, s.Name, 0))
                    .Concat(servers.Where(s => !IsCanary(s)).Select(s => HaproxyRuntimeApi.ResetWeight(Deployment.ProxyBackend, s.Name)));
                await deployer.RuntimeApiAsync(proxy, Batch(commands), readOnly: false);
                Session.Info($"weights: the canary servers 0, the stable ones back to 100 % at {Stamp(deployer._time.GetUtcNow())}: all traffic on the stable release; the clean-up follows");
            }

            foreach (var service in Routed)
            {
                var name = service.Name + ComposeOverride.CanarySuffix;
                var containers = await deployer.ContainersAsync(StableProject, name);
                if (containers.Count == 0)
                {
                    continue;
                }

                await deployer.DrainAsync(StableProject, containers);
                await deployer.RemoveAsync(containers, $"{name}: stopping {containers.Count} canary container(s)");
            }
        }

        /// <summary>The stack as it runs now: the stable release's images and override.</summary>
        private ComposeProject StableProject => deployer.ProjectFor(stable);

        private ComposeProject CanaryProject(CanaryRelease release) => StableProject.WithFile(Deployment.CanaryOverrideFileOf(release.Version));

        private async Task<DockerContainer> ProxyAsync() =>
            (await deployer.ContainersAsync(StableProject, Deployment.ProxyService)).FirstOrDefault(c => c.Status == "running")
            ?? throw new DeployStepException($"the proxy ({Deployment.ProxyService}) is not running: a canary needs it to split traffic");

        private bool IsCanary(HaproxyServer server) => server.Name.StartsWith(Deployment.CanaryServerPrefix, StringComparison.Ordinal);

        /// <summary>Several runtime API commands in one connection: HAProxy takes them separated by ';'.</summary>
        private static string Batch(IEnumerable<string> commands) => string.Join("; ", commands.Select(c => c.TrimEnd('\n'))) + "\n";

        private static string Describe(IEnumerable<HaproxyServer> servers) =>
            string.Join(", ", servers.Where(s => s.Address is not null).Select(s => $"{s.Name} {s.Address} {s.Operational}/{s.Admin}"));
    }
}
