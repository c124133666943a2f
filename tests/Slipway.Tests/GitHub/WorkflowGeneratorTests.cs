using System.Text.RegularExpressions;
using Slipway.Environments;
using Slipway.GitHub.Workflows;
using Slipway.Targets;
using Slipway.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Slipway.Tests.GitHub;

public sealed partial class WorkflowGeneratorTests
{
    private static readonly IReadOnlyDictionary<string, WorkflowEnvironment> Environments = new Dictionary<string, WorkflowEnvironment>
    {
        ["dev"] = new("dev", new EnvironmentTrigger { On = TriggerEvent.PullRequest }, ["api", "worker"]),
        ["staging"] = new("staging", new EnvironmentTrigger { On = TriggerEvent.Branch, Pattern = "main" }, ["api", "worker"])
        {
            KeylessSigning = true,
            Secrets = ["REGISTRY_PASSWORD", "REGISTRY_USERNAME", "STAGING_POSTGRES_PASSWORD"],
            RegistrySecrets = ["REGISTRY_PASSWORD", "REGISTRY_USERNAME"],
            Variables = ["STAGING_DOCKER_HOST"],
        },
        ["prod"] = new("prod", new EnvironmentTrigger { On = TriggerEvent.Tag, Pattern = "v*" }, ["api", "worker"])
        {
            KeylessSigning = true,
            PushesToGhcr = true,
            UsesKubernetes = true,
            Secrets = ["PROD_POSTGRES_CONNECTION", "REGISTRY_PASSWORD", "REGISTRY_USERNAME"],
            RegistrySecrets = ["REGISTRY_PASSWORD", "REGISTRY_USERNAME"],
            Variables = ["KUBE_CONTEXT"],
        },
    };

    internal static WorkflowBlueprint Blueprint { get; } = new(
    [
        new("ci.yml", "CI",
        [
            new LaneSpec("dev", "dev",
            [
                new JobSpec("test", ["Test"]) { Provision = true },
                new JobSpec("build", ["Build", "Sbom", "Scan"]) { PerService = true, Provision = true },
                new JobSpec("e2e-smoke", ["E2ESmoke"]) { Provision = true },
                new JobSpec("deploy-dev", ["DeployDev"]) { Deploys = true, Provision = true },
            ]),
            new LaneSpec("staging", "staging",
            [
                new JobSpec("staging-publish", ["Publish"]) { Provision = true, UsesSecrets = true },
                new JobSpec("staging-sign", ["Sign"]) { UsesSecrets = true },
                new JobSpec("deploy-staging", ["DeployStaging"]) { Deploys = true, UsesSecrets = true },
            ]),
        ]),
        new("release.yml", "Release",
        [
            new LaneSpec("prod", "production",
            [
                new JobSpec("publish", ["Publish"]) { Provision = true, UsesSecrets = true },
                new JobSpec("sign", ["Sign"]) { UsesSecrets = true },
                new JobSpec("deploy-prod", ["DeployProd"]) { Deploys = true, UsesSecrets = true, TimeoutMinutes = 180 },
            ]),
        ]),
        new("rollback.yml", "Rollback", [])
        {
            Dispatch = new DispatchSpec(new JobSpec("rollback", ["Rollback"]) { Deploys = true, UsesSecrets = true }, ["staging", "prod"], "To")
            {
                GitHubEnvironments = new Dictionary<string, string> { ["prod"] = "production" },
            },
        },
    ])
    {
        SigningTargets = ["Sign"],
        PublishingTargets = ["Publish"],
        CosignTargets = ["Sign", "Verify", "Rollback"],
    };

    private static IReadOnlyList<Workflow> Generate(Pipeline? pipeline = null, WorkflowBlueprint? blueprint = null) =>
        WorkflowGenerator.Generate((pipeline ?? new ReleaseGraphPipeline()).DescribeTargets(), blueprint ?? Blueprint, Environments);

    private static YamlMappingNode Parse(string fileName)
    {
        var text = WorkflowYaml.Render(Generate().Single(w => w.FileName == fileName));
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Job(YamlMappingNode workflow, string id) => (YamlMappingNode)((YamlMappingNode)workflow["jobs"])[id];

    private static string? Text(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return (node as YamlScalarNode)?.Value;
    }

    private static List<string> Needs(YamlMappingNode job) =>
        job.Children.TryGetValue(new YamlScalarNode("needs"), out var needs) ? [.. ((YamlSequenceNode)needs).Select(n => ((YamlScalarNode)n).Value!)] : [];

    private static List<YamlMappingNode> Steps(YamlMappingNode job) => [.. ((YamlSequenceNode)job["steps"]).Cast<YamlMappingNode>()];

    private static Dictionary<string, string> Permissions(YamlMappingNode job) =>
        job.Children.TryGetValue(new YamlScalarNode("permissions"), out var permissions)
            ? ((YamlMappingNode)permissions).ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!)
            : [];

    [Fact]
    public void Each_environment_trigger_starts_its_lane_pull_requests_and_main_in_ci_and_v_tags_in_release()
    {
        var ci = Parse("ci.yml");
        var on = (YamlMappingNode)ci["on"];
        Assert.True(on.Children.ContainsKey(new YamlScalarNode("pull_request")));
        Assert.Equal(["main"], ((YamlSequenceNode)on["push"]["branches"]).Select(n => n.ToString()));
        Assert.Equal("github.event_name == 'pull_request'", Text(Job(ci, "build"), "if"));
        Assert.Equal("github.event_name == 'push' && github.ref == 'refs/heads/main'", Text(Job(ci, "deploy-staging"), "if"));

        var release = Parse("release.yml");
        Assert.Equal(["v*"], ((YamlSequenceNode)release["on"]["push"]["tags"]).Select(n => n.ToString()));

        // One lane per file needs no condition: the trigger is the file's own.
        Assert.Null(Text(Job(release, "deploy-prod"), "if"));
    }

    [Fact]
    public void Jobs_need_the_nearest_jobs_whose_targets_theirs_depend_on_run_after_or_read()
    {
        var ci = Parse("ci.yml");
        Assert.Empty(Needs(Job(ci, "test")));
        Assert.Empty(Needs(Job(ci, "build")));
        Assert.Equal(["build"], Needs(Job(ci, "e2e-smoke")));
        Assert.Equal(["build"], Needs(Job(ci, "deploy-dev")));
        Assert.Equal(["staging-publish"], Needs(Job(ci, "staging-sign")));

        // DeployStaging runs after Publish and Sign; the sign job already needs the publish job.
        Assert.Equal(["staging-sign"], Needs(Job(ci, "deploy-staging")));

        var release = Parse("release.yml");
        Assert.Equal(["publish"], Needs(Job(release, "sign")));
        Assert.Equal(["sign"], Needs(Job(release, "deploy-prod")));
    }

    [Fact]
    public void Release_json_travels_from_the_publishing_job_to_the_jobs_that_read_it()
    {
        var release = Parse("release.yml");
        var upload = Steps(Job(release, "publish")).Single(s => Text(s, "uses")?.StartsWith("actions/upload-artifact@", StringComparison.Ordinal) == true && Text(s, "with", "name") == "prod-release");
        Assert.Equal("prod-release", Text(upload, "with", "name"));
        Assert.Equal("artifacts/release.json", Text(upload, "with", "path"));
        Assert.Equal("error", Text(upload, "with", "if-no-files-found"));

        foreach (var id in new[] { "sign", "deploy-prod" })
        {
            var steps = Steps(Job(release, id));
            var download = steps.FindIndex(s => Text(s, "uses")?.StartsWith("actions/download-artifact@", StringComparison.Ordinal) == true && Text(s, "with", "name") == "prod-release");
            var run = steps.FindIndex(s => Text(s, "run") is not null && Text(s, "run")!.StartsWith("./build.sh", StringComparison.Ordinal));
            Assert.True(download >= 0 && download < run, $"{id} downloads release.json before it runs");
            Assert.Equal("artifacts", Text(steps[download], "with", "path"));
        }

        // DeployDev publishes its own release on the runner: nothing to download.
        Assert.DoesNotContain(Steps(Job(Parse("ci.yml"), "deploy-dev")), s => Text(s, "uses")?.Contains("artifact", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void The_SBOMs_travel_from_the_publishing_job_to_the_signing_job_that_attests_them()
    {
        // Sign attests each image's SBOM (cosign attest --predicate artifacts/sbom/<service>.image.cdx.json): a signing job
        // on a fresh runner has only what it downloads, so the directory the publishing job's Sbom wrote must travel too.
        // The committed workflows (generated from ISupplyChain's own declarations; WorkflowDriftTests keep them current).
        foreach (var (file, environment, publish, sign) in new[] { ("ci.yml", "staging", "staging-publish", "staging-sign"), ("release.yml", "prod", "publish", "sign") })
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, ".github", "workflows", file))));
            var workflow = (YamlMappingNode)stream.Documents[0].RootNode;
            var upload = Steps(Job(workflow, publish)).Single(s => Text(s, "uses")?.StartsWith("actions/upload-artifact@", StringComparison.Ordinal) == true && Text(s, "with", "name") == $"{environment}-sbom");
            Assert.Equal("artifacts/sbom", Text(upload, "with", "path"));

            var steps = Steps(Job(workflow, sign));
            var download = steps.FindIndex(s => Text(s, "uses")?.StartsWith("actions/download-artifact@", StringComparison.Ordinal) == true && Text(s, "with", "name") == $"{environment}-sbom");
            var run = steps.FindIndex(s => Text(s, "run") is not null && Text(s, "run")!.StartsWith("./build.sh", StringComparison.Ordinal));
            Assert.True(download >= 0 && download < run, $"{file}: {sign} downloads the SBOMs before it runs");

            // upload-artifact roots a directory at itself, so it goes back to its own path, not its parent.
            Assert.Equal("artifacts/sbom", Text(steps[download], "with", "path"));
        }
    }

    [Fact]
    public void Permissions_are_read_only_unless_a_job_signs_keylessly_pushes_to_ghcr_or_deploys()
    {
        var release = Parse("release.yml");
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read" }, ((YamlMappingNode)release["permissions"]).ToDictionary(p => p.Key.ToString(), p => p.Value.ToString()));
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read", ["packages"] = "write" }, Permissions(Job(release, "publish")));
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read", ["id-token"] = "write" }, Permissions(Job(release, "sign")));
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read", ["deployments"] = "write" }, Permissions(Job(release, "deploy-prod")));

        var ci = Parse("ci.yml");
        Assert.Empty(Permissions(Job(ci, "test")));
        Assert.Empty(Permissions(Job(ci, "build")));

        // Staging's registry is not ghcr.io: its publish job keeps the defaults.
        Assert.Empty(Permissions(Job(ci, "staging-publish")));
        Assert.Equal("write", Permissions(Job(ci, "staging-sign"))["id-token"]);
        Assert.DoesNotContain("id-token", Permissions(Job(ci, "deploy-staging")).Keys);
    }

    [Fact]
    public void Deploy_jobs_use_the_github_environment_and_queue_per_environment_without_cancelling()
    {
        var deploy = Job(Parse("release.yml"), "deploy-prod");
        Assert.Equal("production", Text(deploy, "environment"));
        Assert.Equal("deploy-prod", Text(deploy, "concurrency", "group"));
        Assert.Equal("false", Text(deploy, "concurrency", "cancel-in-progress"));
        Assert.Equal("180", Text(deploy, "timeout-minutes"));

        var staging = Job(Parse("ci.yml"), "deploy-staging");
        Assert.Equal("staging", Text(staging, "environment"));
        Assert.Equal("deploy-staging", Text(staging, "concurrency", "group"));
        Assert.Null(Text(Job(Parse("ci.yml"), "build"), "environment"));
    }

    [Fact]
    public void Every_command_is_the_local_build_command_and_per_service_work_fans_out_over_the_environment_services()
    {
        var ci = Parse("ci.yml");
        var build = Job(ci, "build");
        Assert.Equal("false", Text(build, "strategy", "fail-fast"));
        Assert.Equal(["api", "worker"], ((YamlSequenceNode)build["strategy"]["matrix"]["service"]).Select(n => n.ToString()));
        Assert.Equal("./build.sh --target Build Sbom Scan --env dev --service ${{ matrix.service }} --provision", Steps(build).Select(s => Text(s, "run")).Single(r => r is not null));
        Assert.Equal("./build.sh --target DeployStaging --env staging --lock-wait 15m", Steps(Job(ci, "deploy-staging")).Select(s => Text(s, "run")).Single(r => r is not null));

        foreach (var workflow in Generate())
        {
            foreach (var step in workflow.Jobs.SelectMany(j => j.Steps).Where(s => s.Run is not null && s.Name != "Write the kubeconfig"))
            {
                Assert.StartsWith("./build.sh --target ", step.Run, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_deploy_job_waits_for_the_environment_lock_and_no_other_job_does()
    {
        // GitHub's concurrency group queues this repository's jobs only; a deploy from elsewhere holds the lock.
        foreach (var job in Generate().SelectMany(w => w.Jobs))
        {
            var command = job.Steps.Select(s => s.Run).Last(r => r is not null)!;
            Assert.Equal(job.Concurrency is not null, command.Contains(" --lock-wait 15m", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Secrets_and_variables_of_the_environment_reach_only_the_jobs_that_use_them()
    {
        var deploy = Job(Parse("release.yml"), "deploy-prod");
        var env = ((YamlMappingNode)deploy["env"]).ToDictionary(p => p.Key.ToString(), p => p.Value.ToString());
        Assert.Equal("${{ secrets.PROD_POSTGRES_CONNECTION }}", env["PROD_POSTGRES_CONNECTION"]);
        Assert.Equal("${{ secrets.REGISTRY_PASSWORD }}", env["REGISTRY_PASSWORD"]);
        Assert.Equal("${{ vars.KUBE_CONTEXT }}", env["KUBE_CONTEXT"]);

        // Helm needs a kubeconfig: written from a secret before the deploy command.
        var kubeconfig = Steps(deploy).Single(s => Text(s, "name") == "Write the kubeconfig");
        Assert.Equal("${{ secrets.KUBECONFIG_DATA }}", Text(kubeconfig, "env", "KUBECONFIG_DATA"));
        Assert.False(Job(Parse("ci.yml"), "build").Children.ContainsKey(new YamlScalarNode("env")));

        // Jobs that only push or sign get the registry's credentials, not the database's.
        var publish = ((YamlMappingNode)Job(Parse("release.yml"), "publish")["env"]).Select(p => p.Key.ToString()).ToList();
        Assert.Equal(["REGISTRY_PASSWORD", "REGISTRY_USERNAME", "KUBE_CONTEXT"], publish);
    }

    [Fact]
    public void Rollback_is_started_by_hand_with_an_environment_choice_and_an_optional_version_that_never_enters_the_command()
    {
        var rollback = Parse("rollback.yml");
        var inputs = (YamlMappingNode)rollback["on"]["workflow_dispatch"]["inputs"];
        Assert.Equal("choice", Text(inputs, "environment", "type"));
        Assert.Equal(["staging", "prod"], ((YamlSequenceNode)inputs["environment"]["options"]).Select(n => n.ToString()));
        Assert.Equal("false", Text(inputs, "version", "required"));

        var job = Job(rollback, "rollback");
        Assert.Equal("${{ inputs.environment == 'prod' && 'production' || inputs.environment }}", Text(job, "environment"));
        Assert.Equal("deploy-${{ inputs.environment }}", Text(job, "concurrency", "group"));
        Assert.Equal("${{ inputs.version }}", Text(job, "env", "SLIPWAY_TO"));
        var command = Steps(job).Select(s => Text(s, "run")).Single(r => r?.StartsWith("./build.sh", StringComparison.Ordinal) == true);
        Assert.Equal("./build.sh --target Rollback --env \"$SLIPWAY_ENV\" --lock-wait 15m", command);
        Assert.Contains(Steps(job), s => Text(s, "uses")?.StartsWith("sigstore/cosign-installer@", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Actions_come_pinned_by_full_sha_with_their_version_from_the_one_table()
    {
        var pinned = PinnedActions.All.ToDictionary(a => a.Reference, a => a.Version);
        foreach (var workflow in Generate())
        {
            var text = WorkflowYaml.Render(workflow);
            var uses = UsesLine().Matches(text);
            Assert.NotEmpty(uses);
            foreach (Match match in uses)
            {
                Assert.True(pinned.TryGetValue(match.Groups[1].Value, out var version), $"{match.Groups[1].Value} is not in PinnedActions");
                Assert.Equal(version, match.Groups[2].Value);
            }
        }

        Assert.All(PinnedActions.All, a => Assert.Matches("^[0-9a-f]{40}$", a.Sha));
    }

    [Fact]
    public void A_target_the_pipeline_lacks_fails_generation_naming_it_where_it_is_used_and_what_exists()
    {
        var error = Assert.Throws<WorkflowGenerationException>(() => Generate(new WithoutProdPipeline()));
        Assert.Equal(
            "Target 'DeployProd' (release.yml, job deploy-prod) does not exist in the pipeline. Available targets: Build, DeployDev, Publish, Rollback, Sign.",
            Assert.Single(error.Problems, p => p.Contains("DeployProd", StringComparison.Ordinal)));
        Assert.Contains(error.Problems, p => p.StartsWith("Target 'E2ESmoke' (ci.yml, job e2e-smoke)", StringComparison.Ordinal));
        Assert.StartsWith("Cannot generate the GitHub workflows:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_environment_without_a_valid_file_fails_generation()
    {
        var blueprint = Blueprint with { Files = [new WorkflowFileSpec("qa.yml", "QA", [new LaneSpec("qa", "qa", [new JobSpec("build", ["Build"])])])] };
        var error = Assert.Throws<WorkflowGenerationException>(() => Generate(blueprint: blueprint));
        Assert.Equal("qa.yml needs environment 'qa', which has no valid environments/qa.yml.", Assert.Single(error.Problems));
    }

    [Fact]
    public void The_same_graph_gives_the_same_bytes_behind_a_do_not_edit_header()
    {
        var first = WorkflowFiles.Render(Generate());
        var second = WorkflowFiles.Render(Generate());
        Assert.Equal(first, second);
        Assert.Equal([".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/workflows/rollback.yml"], first.Select(f => f.RelativePath));
        Assert.All(first, f => Assert.StartsWith("# Generated by `./build.sh --target GenerateWorkflows`", f.Content, StringComparison.Ordinal));
        Assert.All(first, f => Assert.Contains("# Do not edit", f.Content, StringComparison.Ordinal));
    }

    [Fact]
    public void The_release_workflow_reads_as_reviewed()
    {
        Snapshot.Match(WorkflowYaml.Render(Generate().Single(w => w.FileName == "release.yml")), "workflow-release");
    }

    [Fact]
    public void Values_that_yaml_would_misread_are_quoted_and_read_back_unchanged()
    {
        var tricky = new[] { "true", "0", "a: b # c", "${{ matrix.service }}", "line one\nline two\n", "on", "" };
        var workflow = new Workflow("t.yml", "T", new WorkflowTriggers { PullRequest = true },
        [
            new WorkflowJob("j", "J") { Steps = [new WorkflowStep("s") { Run = "./build.sh", Env = [.. tricky.Select((v, i) => new KeyValuePair<string, string>($"V{i}", v))] }] },
        ]);
        var stream = new YamlStream();
        stream.Load(new StringReader(WorkflowYaml.Render(workflow)));
        var env = (YamlMappingNode)stream.Documents[0].RootNode["jobs"]["j"]["steps"][0]["env"];
        for (var i = 0; i < tricky.Length; i++)
        {
            var node = (YamlScalarNode)env[$"V{i}"];
            Assert.Equal(tricky[i], node.Value);
            if (tricky[i] is "true" or "0" or "on" or "")
            {
                Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, node.Style);
            }
        }
    }

    [GeneratedRegex(@"uses: (\S+) # (\S+)")]
    private static partial Regex UsesLine();

    private sealed class WithoutProdPipeline : Pipeline
    {
        public Target Build => _ => _;

        public Target Publish => _ => _.DependsOn(Build);

        public Target Sign => _ => _;

        public Target DeployDev => _ => _.DependsOn(Publish);

        public Target Rollback => _ => _;
    }
}
