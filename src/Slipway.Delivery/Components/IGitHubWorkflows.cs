using Slipway.Environments;
using Slipway.GitHub.Workflows;
using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>
/// The GitHub Actions workflows, generated from the pipeline's target graph and the environments' triggers
/// (GenerateWorkflows), and the check that the committed ones have not drifted (CheckWorkflows). The lanes are a hook;
/// the default has a pull-request lane (test, build per service, E2E, deploy to dev), a main-branch lane (publish,
/// sign, deploy to staging), release.yml for tags (publish, sign, deploy to prod) and rollback.yml, each with the
/// targets the pipeline has.
/// </summary>
public interface IGitHubWorkflows : IEnvironmentMatrix
{
    private static readonly string[] PerServiceJob = ["Build", "Sbom", "Scan"];
    private static readonly string[] SigningTargets = ["Sign"];
    private static readonly string[] PublishingTargets = ["Publish"];
    private static readonly string[] CosignTargets = ["Sign", "Verify", "Rollback"];

    /// <summary>Hook: the workflow files, their lanes and jobs, for <paramref name="graph"/>.</summary>
    WorkflowBlueprint Workflows(TargetGraph graph) => DefaultWorkflows(graph);

    /// <summary>Writes .github/workflows from the graph.</summary>
    Target GenerateWorkflows => _ => _
        .Describe($"Write {WorkflowFiles.Directory}/ from the target graph and the environments' triggers (never edit those files by hand)")
        .Produces(WorkflowFiles.Directory)
        .Executes(ctx =>
        {
            var files = GeneratedWorkflows(ctx.Warning);
            return ctx.DoAsync($"write {string.Join(", ", files.Select(f => f.RelativePath))}", () => WorkflowFiles.Write(RootDirectory, files));
        });

    /// <summary>Fails when the committed workflows differ from the generated ones.</summary>
    Target CheckWorkflows => _ => _
        .Describe($"Fail when the committed {WorkflowFiles.Directory}/ differ from what the pipeline generates (names the file and the first differing line)")
        .Executes(ctx =>
        {
            var files = GeneratedWorkflows(ctx.Warning);
            var drift = WorkflowFiles.Drift(RootDirectory, files);
            if (drift.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The committed workflows are out of date with the pipeline:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, drift.Select(d => "  " + d))}{System.Environment.NewLine}" +
                    $"Regenerate them with {WorkflowYaml.RegenerateCommand} and commit the result.");
            }

            ctx.Info($"{files.Count} workflow(s) match the pipeline: {string.Join(", ", files.Select(f => f.RelativePath))}");
        });

    /// <summary>The workflow files this pipeline generates; a drift test compares them with the committed ones.</summary>
    IReadOnlyList<WorkflowFile> GeneratedWorkflows(Action<string>? warn = null)
    {
        var graph = ((Pipeline)this).DescribeTargets();
        if (!graph.ByName.ContainsKey("DeployProd"))
        {
            warn?.Invoke($"release.yml is not generated: the pipeline has no DeployProd target yet. Once it has, {WorkflowYaml.RegenerateCommand} adds it.");
        }

        return WorkflowFiles.Render(WorkflowGenerator.Generate(graph, Workflows(graph), WorkflowEnvironments()));
    }

    /// <summary>
    /// The default lanes: pull requests build, test and deploy to dev on the runner; main publishes, signs keylessly and
    /// deploys to staging; v* tags do the same for prod from release.yml (GitHub environment <c>production</c>); Rollback
    /// is started by hand. A job whose targets the pipeline lacks is left out.
    /// </summary>
    static WorkflowBlueprint DefaultWorkflows(TargetGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        bool Has(string target) => graph.ByName.ContainsKey(target);
        JobSpec[] Jobs(params JobSpec[] jobs) => [.. jobs.Where(j => j.Targets.Count > 0 && j.Targets.All(Has))];
        List<WorkflowFileSpec> files =
        [
            new("ci.yml", "CI",
            [
                new LaneSpec("dev", "dev", Jobs(
                    new JobSpec("test", ["Test"]) { Provision = true },
                    new JobSpec("build", [.. PerServiceJob.Where(Has)]) { PerService = true, Provision = true },
                    new JobSpec("e2e-smoke", ["E2ESmoke"]) { Provision = true },
                    new JobSpec("deploy-dev", ["DeployDev"]) { Deploys = true, Provision = true })),
                new LaneSpec("staging", "staging", Jobs(
                    new JobSpec("staging-publish", ["Publish"]) { Provision = true, UsesSecrets = true },
                    new JobSpec("staging-sign", ["Sign"]) { UsesSecrets = true },
                    new JobSpec("deploy-staging", ["DeployStaging"]) { Deploys = true, Provision = true, UsesSecrets = true })),
            ]),
        ];
        if (Has("Rollback"))
        {
            files.Add(new("rollback.yml", "Rollback", [])
            {
                Dispatch = new DispatchSpec(new JobSpec("rollback", ["Rollback"]) { Deploys = true, Provision = true, UsesSecrets = true }, ["staging", "prod"], "To")
                {
                    GitHubEnvironments = new Dictionary<string, string> { ["prod"] = "production" },
                },
            });
        }

        if (Has("DeployProd"))
        {
            files.Insert(1, new WorkflowFileSpec("release.yml", "Release",
            [
                new LaneSpec("prod", "production", Jobs(
                    new JobSpec("publish", ["Publish"]) { Provision = true, UsesSecrets = true },
                    new JobSpec("sign", ["Sign"]) { UsesSecrets = true },

                    // Canary steps of 30 minutes each, then promotion: longer than the default hour.
                    new JobSpec("deploy-prod", ["DeployProd"]) { Deploys = true, Provision = true, UsesSecrets = true, TimeoutMinutes = 180 })),
            ]));
        }

        return new WorkflowBlueprint(files)
        {
            SigningTargets = [.. SigningTargets.Where(Has)],
            PublishingTargets = [.. PublishingTargets.Where(Has)],
            CosignTargets = [.. CosignTargets.Where(Has)],
        };
    }

    /// <summary>
    /// Every environment, loaded with no variables set, so the workflows do not depend on the shell that generates them:
    /// a <c>${VAR:-default}</c> takes its default, and the workflow passes VAR from GitHub's variables.
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
}
