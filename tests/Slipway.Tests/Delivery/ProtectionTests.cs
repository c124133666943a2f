using Slipway.Build;
using Slipway.Delivery.Gates;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.HostileInput;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The environment's protection through the whole CLI, over this repository's real environment files: a deploy from a
/// dirty tree or from a ref outside <c>allowed_refs</c> is refused (exit 1) before any command but the gate's read-only
/// git queries runs, and the same deploy from a clean tree on an allowed tag gets past the gate.
/// </summary>
public sealed class ProtectionTests : IDisposable
{
    private static readonly string[] GitQueries = ["git status --porcelain", "git describe --tags --exact-match HEAD", "git rev-parse --abbrev-ref HEAD"];

    private readonly HostileWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private static RecordingToolRunner Git(string status, string? tag, string branch) => new RecordingToolRunner()
        .Script("git", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            "status --porcelain" => new ToolResult(0, status, string.Empty, TimeSpan.Zero),
            "describe --tags --exact-match HEAD" => tag is null
                ? new ToolResult(128, string.Empty, "fatal: no tag exactly matches", TimeSpan.Zero)
                : new ToolResult(0, tag + "\n", string.Empty, TimeSpan.Zero),
            "rev-parse --abbrev-ref HEAD" => new ToolResult(0, branch + "\n", string.Empty, TimeSpan.Zero),
            var other => new ToolResult(0, other == "rev-parse HEAD" ? new string('a', 40) + "\n" : string.Empty, string.Empty, TimeSpan.Zero),
        });

    private Task<HostRun> DeployProdAsync(RecordingToolRunner runner, IReadOnlyDictionary<string, string>? variables = null, params string[] extra) =>
        InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "DeployProd", .. extra], runner, variables, _workspace.Root);

    [Fact]
    public async Task DeployProd_from_a_dirty_tree_is_refused_before_any_command_naming_the_files()
    {
        var runner = Git(" M src/Api/Program.cs\n?? notes.txt\n", "v1.4.0", "HEAD");

        var run = await DeployProdAsync(runner);

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("uncommitted changes (M src/Api/Program.cs, ?? notes.txt)", run.Out, StringComparison.Ordinal);
        Assert.Contains("environments/prod.yml deploys only committed work (protection.require_clean_tree)", run.Out, StringComparison.Ordinal);
        Assert.All(runner.CommandLines, c => Assert.Contains(c, GitQueries));
        Assert.DoesNotContain("--override-protection", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeployProd_from_a_branch_not_in_allowed_refs_is_refused_naming_the_ref_and_the_patterns()
    {
        var runner = Git(string.Empty, null, "feature/login");

        var run = await DeployProdAsync(runner);

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("refs/heads/feature/login (from git) may not deploy here: environments/prod.yml protection.allowed_refs allows only refs/tags/v*", run.Out, StringComparison.Ordinal);
        Assert.All(runner.CommandLines, c => Assert.Contains(c, GitQueries));
    }

    [Fact]
    public async Task In_GitHub_Actions_the_ref_is_GITHUB_REF_and_a_dry_run_reports_the_refusal_with_exit_1()
    {
        var runner = Git(string.Empty, "v1.4.0", "HEAD");
        var actions = new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_REF"] = "refs/heads/main" };

        var run = await DeployProdAsync(runner, actions, "--dry-run");

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("refs/heads/main (from GITHUB_REF) may not deploy here", run.Out, StringComparison.Ordinal);
        Assert.Equal(["git status --porcelain"], runner.CommandLines);
    }

    private static Dictionary<string, string> ProdSecrets(string postgresPassword) => new()
    {
        ["PROD_POSTGRES_CONNECTION"] = $"Host=db.internal;Database=slipway;Username=app;Password={postgresPassword}",
        ["PROD_REDIS_CONNECTION"] = "redis.internal:6379,password=Zq8vN2pLw4Rt7YcB",
    };

    [Fact]
    public async Task DeployProd_from_a_clean_tree_on_an_allowed_tag_passes_the_gate_and_goes_on()
    {
        var runner = Git(string.Empty, "v1.4.0", "HEAD");

        var run = await DeployProdAsync(runner, ProdSecrets("k3Jd9sLq0PzX7wVn"));

        Assert.Contains("prod: protection passed (clean tree, refs/tags/v1.4.0 in allowed_refs)", run.Out, StringComparison.Ordinal);
        Assert.Contains("✔ Preflight succeeded", run.Out, StringComparison.Ordinal);
        Assert.Equal(GitQueries, runner.CommandLines);

        // The deploy goes on to its next step (here it stops there: this workspace has no release.json to verify).
        Assert.True(run.Out.IndexOf("── Verify ──", StringComparison.Ordinal) > run.Out.IndexOf("── Preflight ──", StringComparison.Ordinal), run.Out);
    }

    [Fact]
    public async Task A_prod_secret_changeme_is_refused_before_any_command_naming_the_key_not_the_value()
    {
        var runner = Git(string.Empty, "v1.4.0", "HEAD");

        var run = await DeployProdAsync(runner, ProdSecrets("changeme"));

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("prod refuses weak secrets, and environments/prod.yml resolves services.api.secrets.ConnectionStrings__Postgres (env:PROD_POSTGRES_CONNECTION): its password is a well-known default", run.Out, StringComparison.Ordinal);
        Assert.Contains("data.postgres.connection (env:PROD_POSTGRES_CONNECTION): its password is a well-known default", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("(env:PROD_REDIS_CONNECTION)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=changeme", run.Out, StringComparison.Ordinal);
        Assert.All(runner.CommandLines, c => Assert.Contains(c, GitQueries));
    }

    [Fact]
    public async Task A_host_with_less_free_disk_than_the_matrix_asks_is_refused_before_anything_runs()
    {
        var (run, dataRoot) = await DeployDevWithHostAsync("free_disk: 4096Ti");

        Assert.Contains($"The Docker host of dev is not ready: the engine's data root {dataRoot} has ", run.Out, StringComparison.Ordinal);
        Assert.Contains("free, and environments/dev.yml delivery.compose.host.free_disk asks for 4194304.0 GiB (4Ti)", run.Out.Replace("4096Ti", "4Ti", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>
    /// DeployDev with <paramref name="hostSetting"/> under <c>delivery.compose.host</c> and a local engine that answers
    /// <c>docker info</c>: refused with exit 1 after that one command, nothing else run.
    /// </summary>
    private async Task<(HostRun Run, string DataRoot)> DeployDevWithHostAsync(string hostSetting)
    {
        var dataRoot = Directory.CreateDirectory(Path.Combine(_workspace.Top, "docker-root")).FullName;
        _workspace.Append("environments/dev.yml", $"\ndelivery:\n  compose:\n    host:\n      {hostSetting}\n");
        var runner = new RecordingToolRunner().Script("docker", 0, $$"""{"DockerRootDir":"{{dataRoot}}","ServerVersion":"20.10.24+dfsg1"}""");

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "DeployDev"], runner, null, _workspace.Root);

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("Nothing was deployed.", run.Out, StringComparison.Ordinal);
        Assert.Equal(["docker info --format '{{json .}}'"], runner.CommandLines);
        return (run, dataRoot);
    }

    [Fact]
    public async Task A_host_without_the_memory_the_release_needs_is_refused_before_anything_runs()
    {
        var (run, _) = await DeployDevWithHostAsync("memory_margin: 4096Ti");

        Assert.Matches(@"The Docker host of dev is not ready: the host has [0-9.]+ GiB of memory available, and the release needs [0-9.]+ GiB \(api 1 × 256Mi \+ worker 1 × 128Mi \+ memory_margin 4096Ti\): free memory on the host \(stop other stacks\), or lower services\.\*\.resources\.requests\.memory or environments/dev\.yml delivery\.compose\.host\.memory_margin", run.Out);
    }

    [Fact]
    public void The_memory_a_release_needs_is_each_services_request_else_limit_times_replicas_plus_the_margin()
    {
        var staging = Slipway.Tests.Environments.RealEnvironmentTests.Load("staging");

        var (bytes, parts) = HostCheckGate.MemoryNeeded(staging, ByteSize.Parse("256Mi"));

        Assert.Equal("api 2 × 512Mi + worker 2 × 128Mi + memory_margin 256Mi", parts);
        Assert.Equal((2 * 512L + 2 * 128 + 256) * 1024 * 1024, bytes);
    }

    [Fact]
    public async Task An_engine_older_than_the_matrix_minimum_is_refused()
    {
        var dataRoot = Directory.CreateDirectory(Path.Combine(_workspace.Top, "docker-root")).FullName;
        _workspace.Append("environments/dev.yml", "\ndelivery:\n  compose:\n    host:\n      min_engine_version: \"24.0\"\n");
        var runner = new RecordingToolRunner().Script("docker", 0, $$"""{"DockerRootDir":"{{dataRoot}}","ServerVersion":"20.10.24+dfsg1"}""");

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "DeployDev"], runner, null, _workspace.Root);

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("the engine is 20.10.24+dfsg1, older than 24.0 (environments/dev.yml delivery.compose.host.min_engine_version): upgrade Docker on the host", run.Out, StringComparison.Ordinal);
        Assert.Single(runner.CommandLines);
    }

    [Fact]
    public void A_Compose_environment_is_not_judged_by_the_connection_strings_only_Helm_receives()
    {
        var helm = Slipway.Tests.Environments.RealEnvironmentTests.Load("prod");
        var compose = helm with { Delivery = helm.Delivery with { Driver = DeliveryDriver.Compose } };

        Assert.DoesNotContain(SecretStrengthGate.References(compose), r => r.Key == "data.postgres.connection");
        Assert.Contains(SecretStrengthGate.References(helm), r => r.Key == "data.postgres.connection");
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("postgres", "it is a well-known default")]
    [InlineData("Password", "it is a well-known default")]
    [InlineData("short-but-new", "it is shorter than 16 characters (security.min_secret_length)")]
    [InlineData("Host=db;Password=;Database=x", "its password is empty")]
    [InlineData("Host=db;Pwd=k3Jd9sLq0PzX7wVn", null)]
    [InlineData("Host=db;Database=x", null)]
    [InlineData("k3Jd9sLq0PzX7wVn", null)]
    public void A_secret_is_judged_by_its_password(string value, string? expected) =>
        Assert.Equal(expected, SecretStrengthGate.Weakness(value, 16));

    [Fact]
    public async Task Prod_refuses_the_override_unless_its_matrix_allows_one()
    {
        var runner = Git(" M charts/app/values.yaml\n", "v1.4.0", "HEAD");

        var run = await DeployProdAsync(runner, null, "--override-protection", "hotfix");

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains("--override-protection is not allowed for prod: environments/prod.yml does not set protection.allow_override: true", run.Out, StringComparison.Ordinal);
        Assert.All(runner.CommandLines, c => Assert.Contains(c, GitQueries));
    }

    [Fact]
    public async Task Staging_takes_a_deliberate_override_with_a_warning()
    {
        var runner = Git(" M environments/staging.yml\n", null, "hotfix/db")
            .Script("docker", 0, $$"""{"DockerRootDir":"{{_workspace.Top}}","ServerVersion":"20.10.24"}""");

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Preflight", "--env", "staging", "--override-protection", "incident 42"], runner, null, _workspace.Root);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("--override-protection: deploying to staging although: The working tree has uncommitted changes", run.Out, StringComparison.Ordinal);
        Assert.Contains("Reason given: incident 42. The ledger records it.", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refs/tags/v*", "refs/tags/v1.2.3", true)]
    [InlineData("refs/tags/v*", "refs/tags/release/v1", false)]
    [InlineData("refs/tags/v*", "refs/heads/v1", false)]
    [InlineData("refs/heads/main", "refs/heads/main", true)]
    [InlineData("refs/heads/main", "refs/heads/main2", false)]
    [InlineData("refs/heads/release/*", "refs/heads/release/1.x", true)]
    [InlineData("refs/heads/release/*", "refs/heads/release/1/hotfix", false)]
    [InlineData("refs/heads/**", "refs/heads/release/1/hotfix", true)]
    public void Ref_patterns_match_as_GitHub_filters_do(string pattern, string gitRef, bool expected) =>
        Assert.Equal(expected, RefProtectionGate.Matches(pattern, gitRef));

    [Fact]
    public void A_refusal_names_the_first_files_and_counts_the_rest()
    {
        var files = Enumerable.Range(1, 8).Select(i => $" M file{i}.cs").ToList();

        var refusals = RefProtectionGate.Refusals(new RefProtection(), new WorkingCopy(files, [], "git"), "environments/staging.yml");

        var refusal = Assert.Single(refusals);
        Assert.Contains("M file1.cs, M file2.cs, M file3.cs, M file4.cs, M file5.cs and 3 more", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clean_tree_on_an_allowed_ref_and_an_environment_without_protection_pass()
    {
        var protection = new RefProtection { AllowedRefs = ["refs/heads/main"] };

        Assert.Empty(RefProtectionGate.Refusals(protection, new WorkingCopy([], ["refs/heads/main"], "git"), "environments/staging.yml"));
        Assert.Empty(RefProtectionGate.Refusals(new RefProtection { RequireCleanTree = false }, new WorkingCopy([" M x"], [], "git"), "environments/dev.yml"));
    }
}
