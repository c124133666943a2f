using Slipway.Environments;
using Slipway.GitHub.Workflows;
using Slipway.Targets;

namespace Slipway.Build;

/// <summary>
/// The GitHub Actions workflows, generated from this pipeline's targets and environments/*.yml, and the check that
/// the committed ones have not drifted; <c>--service</c> narrows Build, Sbom and Scan to one service for CI's matrix.
/// </summary>
public sealed partial class SlipwayPipeline
{
    /// <summary>The targets that honour --service; the others need every service (a release is all of them).</summary>
    private static readonly string[] PerServiceTargets = [nameof(Build), nameof(Sbom), nameof(Scan)];

    /// <summary>The prod deploy target; release.yml is generated once the pipeline has it (it lands with the canary step).</summary>
    private const string ProdDeployTarget = "DeployProd";

    [Parameter("Build, Sbom and Scan only this service of the environment (CI's per-service matrix); default every service", Name = "service")]
    public string? OnlyService { get; init; }

    /// <summary>The services Build, Sbom and Scan work on: --service, else all.</summary>
    private IEnumerable<Service> SelectedServices => Services.Where(s => OnlyService is null || s.Name == OnlyService);

    public Target GenerateWorkflows => _ => _
        .Describe($"Write {WorkflowFiles.Directory}/ from the target graph and the environments' triggers (never edit those files by hand)")
        .Produces(WorkflowFiles.Directory)
        .Executes(ctx =>
        {
            var files = RenderWorkflows(ctx);
            return ctx.DoAsync($"write {string.Join(", ", files.Select(f => f.RelativePath))}", () => WorkflowFiles.Write(RootDirectory, files));
        });

    public Target CheckWorkflows => _ => _
        .Describe($"Fail when the committed {WorkflowFiles.Directory}/ differ from what the pipeline generates (names the file and the first differing line)")
        .Executes(ctx =>
        {
            var files = RenderWorkflows(ctx);
            var drift = WorkflowFiles.Drift(RootDirectory, files);
            if (drift.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The committed workflows are out of date with the pipeline:{Environment.NewLine}{string.Join(Environment.NewLine, drift.Select(d => "  " + d))}{Environment.NewLine}" +
                    $"Regenerate them with {WorkflowYaml.RegenerateCommand} and commit the result.");
            }

            ctx.Info($"{files.Count} workflow(s) match the pipeline: {string.Join(", ", files.Select(f => f.RelativePath))}");
        });

    /// <summary>The workflow files this pipeline generates; the drift test compares them with the committed ones.</summary>
    public IReadOnlyList<WorkflowFile> GeneratedWorkflows(Action<string>? warn = null)
    {
        var graph = DescribeTargets();
        if (!graph.ByName.ContainsKey(ProdDeployTarget))
        {
            warn?.Invoke($"release.yml is not generated: the pipeline has no {ProdDeployTarget} target yet. Once it has, {WorkflowYaml.RegenerateCommand} adds it.");
        }

        return WorkflowFiles.Render(WorkflowGenerator.Generate(graph, WorkflowBlueprint(graph.ByName.ContainsKey(ProdDeployTarget)), WorkflowEnvironments()));
    }

    private List<WorkflowFile> RenderWorkflows(TargetContext ctx) => [.. GeneratedWorkflows(ctx.Warning)];

    /// <summary>
    /// Pull requests build, test and deploy to dev on the runner; main publishes, signs keylessly (ci.yml is the
    /// identity staging's policy trusts) and deploys to staging; v* tags do the same for prod from release.yml (the
    /// identity prod trusts); Rollback is started by hand.
    /// </summary>
    private WorkflowBlueprint WorkflowBlueprint(bool withRelease)
    {
        List<WorkflowFileSpec> files =
        [
            new("ci.yml", "CI",
            [
                new LaneSpec("dev", "dev",
                [
                    new JobSpec("test", [nameof(Test)]) { Provision = true },
                    new JobSpec("build", [nameof(Build), nameof(Sbom), nameof(Scan)]) { PerService = true, Provision = true },
                    new JobSpec("e2e-smoke", [nameof(E2ESmoke)]) { Provision = true },
                    new JobSpec("deploy-dev", [nameof(DeployDev)]) { Deploys = true, Provision = true },
                ]),
                new LaneSpec("staging", "staging",
                [
                    new JobSpec("staging-publish", [nameof(Publish)]) { Provision = true, UsesSecrets = true },
                    new JobSpec("staging-sign", [nameof(Sign)]) { UsesSecrets = true },
                    new JobSpec("deploy-staging", [nameof(DeployStaging)]) { Deploys = true, Provision = true, UsesSecrets = true },
                ]),
            ]),
            new("rollback.yml", "Rollback", [])
            {
                Dispatch = new DispatchSpec(new JobSpec("rollback", [nameof(Rollback)]) { Deploys = true, Provision = true, UsesSecrets = true }, ["staging", "prod"], nameof(To))
                {
                    GitHubEnvironments = new Dictionary<string, string> { ["prod"] = "production" },
                },
            },
        ];
        if (withRelease)
        {
            files.Insert(1, new WorkflowFileSpec("release.yml", "Release",
            [
                new LaneSpec("prod", "production",
                [
                    new JobSpec("publish", [nameof(Publish)]) { Provision = true, UsesSecrets = true },
                    new JobSpec("sign", [nameof(Sign)]) { UsesSecrets = true },

                    // Canary steps of 30 minutes each, then promotion: longer than the default hour.
                    new JobSpec("deploy-prod", [ProdDeployTarget]) { Deploys = true, Provision = true, UsesSecrets = true, TimeoutMinutes = 180 },
                ]),
            ]));
        }

        return new WorkflowBlueprint(files)
        {
            SigningTargets = [nameof(Sign)],
            PublishingTargets = [nameof(Publish)],
            CosignTargets = [nameof(Sign), nameof(Verify), nameof(Rollback)],
        };
    }

    /// <summary>
    /// Every environment, loaded with no variables set, so the workflows do not depend on the shell that generates
    /// them: a <c>${VAR:-default}</c> takes its default, and the workflow passes VAR from GitHub's variables.
    /// </summary>
    private Dictionary<string, WorkflowEnvironment> WorkflowEnvironments()
    {
        var selection = new EnvironmentSelection(RootDirectory, EnvironmentsDirectory, new Dictionary<string, string>());
        var result = new Dictionary<string, WorkflowEnvironment>(StringComparer.Ordinal);
        foreach (var name in selection.LoadAll().Valid)
        {
            if (selection.Load(name).Count == 0)
            {
                result[name] = WorkflowEnvironment.From(selection.Current, RootDirectory);
            }
        }

        return result;
    }

    /// <summary>--service must name a service of the environment, and only targets that build one service at a time take it.</summary>
    private List<string> ServiceFilterErrors(IReadOnlySet<string> planned)
    {
        if (OnlyService is not { } only)
        {
            return [];
        }

        var errors = new List<string>();
        var names = Services.Select(s => s.Name).ToList();
        if (!names.Contains(only, StringComparer.Ordinal))
        {
            errors.Add($"--service {only}: {EnvironmentsDirectory}/{EnvironmentName}.yml has no such service.{NameSuggestions.DidYouMean(only, names)} Services: {string.Join(", ", names)}.");
        }

        var wholeRelease = planned.Where(t => EnvironmentTargets.Contains(t) && !PerServiceTargets.Contains(t) && t != nameof(ShowEnvironment)).Order(StringComparer.Ordinal).ToList();
        if (wholeRelease.Count > 0)
        {
            errors.Add($"--service {only} narrows {string.Join(", ", PerServiceTargets)} to one service, but {string.Join(", ", wholeRelease)} work on every service of a release: drop --service, or run only {string.Join(", ", PerServiceTargets)}.");
        }

        return errors;
    }
}
