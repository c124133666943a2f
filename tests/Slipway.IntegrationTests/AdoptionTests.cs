using System.Globalization;
using System.Text.Json;
using Slipway.Delivery;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// Slipway adopted by another team, end to end (issue 15's acceptance): every package packed into a folder feed; in an
/// empty directory outside this repository, the template installed from that feed into a private template hive and a
/// repository scaffolded for the fixture application (tests/Fixtures/Shop: Shop.Web and Shop.Billing on Postgres only,
/// /healthz, its own proxy port); the fixture's sources copied in; Slipway restored from the feed only (the scaffold's
/// nuget.config maps Slipway.* to it). Then, only through that repository's own build.sh: --help, ValidateEnvironments,
/// CheckWorkflows, DeployStaging --dry-run, a real DeployDev on the shared engine and registry, a redeploy under load
/// without a failed request, a Canary promoted and a Rollback. Everything it made is removed whatever happens.
/// </summary>
public sealed class AdoptionTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>What an adopter writes in C#: the fixture's pipeline. The issue's bound.</summary>
    public const int MaxPipelineLines = 60;

    private const string Registry = "127.0.0.1:5000";

    /// <summary>The environments the template writes.</summary>
    private static readonly string[] Tiers = ["base", "dev", "staging", "prod"];

    /// <summary>What the scaffold's host restores: Slipway.Delivery and the packages it depends on (not Testing).</summary>
    private static readonly string[] HostPackages = ["Slipway", "Slipway.Delivery", "Slipway.Environments", "Slipway.GitHub", "Slipway.Tools"];
    private const double LoadRate = 20;

    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly string _work = Path.Combine(Path.GetTempPath(), "slipway-adopt", Guid.NewGuid().ToString("N")[..10]);
    private readonly int _port = StackProbe.FreePort();

    private string Version => $"0.0.0-adopt.{_id}";

    private string Prefix => $"adopt-{_id}";

    private string Feed => Path.Combine(_work, "feed");

    private string Hive => Path.Combine(_work, "hive");

    private string Repository => Path.Combine(_work, "shop");

    private Uri StackUrl => new($"http://127.0.0.1:{_port}");

    private static string DockerHost => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
        ? host
        : "unix://" + Path.Combine(TestPaths.RepositoryRoot, ".slipway", "docker.sock");

    /// <summary>The fixture's pipeline files: what an adopter writes.</summary>
    public static IReadOnlyList<string> FixturePipelineFiles =>
        [.. Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "tests", "Fixtures", "Shop", "pipelines"), "*.cs").Order(StringComparer.Ordinal)];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        // The stack (every profile), the images of this run, the feed's packages in the machine's NuGet cache, the directory.
        if (File.Exists(Path.Combine(Repository, "compose", "stack.yml")))
        {
            Try(() => HostProcess.Run("docker", ["compose", "--project-name", $"{Prefix}-dev", "--file", Path.Combine(Repository, "compose", "stack.yml"), "--profile", "migrate", "--profile", "canary", "down", "--volumes", "--remove-orphans", "--timeout", "5"], null,
                ("DOCKER_HOST", DockerHost), ("WEB_IMAGE", "unused"), ("BILLING_IMAGE", "unused"), ("POSTGRES_PASSWORD", "unused"), ("PROXY_CONFIG", "/dev/null")));
        }

        Try(() =>
        {
            foreach (var image in Docker("image", "ls", "--format", "{{.ID}} {{.Repository}}").Split('\n').Where(i => i.Contains(Prefix, StringComparison.Ordinal)).Select(i => i.Split(' ')[0]).Distinct())
            {
                Docker("image", "rm", "--force", image);
            }
        });
        Try(() =>
        {
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var package in Directory.Exists(cache) ? Directory.EnumerateDirectories(cache, "slipway*") : [])
            {
                if (Directory.Exists(Path.Combine(package, Version)))
                {
                    Directory.Delete(Path.Combine(package, Version), recursive: true);
                }
            }
        });
        Try(() => Directory.Delete(_work, recursive: true));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_repository_scaffolded_from_the_packages_builds_deploys_redeploys_without_downtime_runs_a_canary_and_rolls_back()
    {
        RequireEngineAndRegistry();
        PackEveryPackage();

        // The template, from the feed, into a hive of this test's own: the machine's template list is not touched.
        var install = Dotnet(_work, "new", "install", $"Slipway.Templates::{Version}", "--add-source", Feed);
        Assert.True(install.ExitCode == 0, install.Output + install.Error);

        // A service name that breaks the name rule fails dotnet new (105: the refusing post action failed) and
        // scaffolds nothing but the explanation.
        var refused = Path.Combine(_work, "refused");
        Directory.CreateDirectory(refused);
        var invalid = Dotnet(refused, "new", "slipway", "-n", "Shop", "--frontend", "Web_1", "--backend", "billing");
        Assert.True(invalid.ExitCode == 105, $"exit {invalid.ExitCode}: " + invalid.Output + invalid.Error);
        Assert.Contains("Nothing was scaffolded: --frontend and --backend must be two different service names", invalid.Output + invalid.Error, StringComparison.Ordinal);
        Assert.Equal(["INVALID-SERVICE-NAMES.md"], Directory.EnumerateFileSystemEntries(refused).Select(Path.GetFileName));
        Assert.Contains("--frontend Web_1", await File.ReadAllTextAsync(Path.Combine(refused, "INVALID-SERVICE-NAMES.md")), StringComparison.Ordinal);

        // So does an application name that cannot name a Compose project or an image repository.
        var refusedName = Path.Combine(_work, "refused-name");
        Directory.CreateDirectory(refusedName);
        var invalidName = Dotnet(refusedName, "new", "slipway", "-n", "My App", "--frontend", "web", "--backend", "billing");
        Assert.True(invalidName.ExitCode == 105, $"exit {invalidName.ExitCode}: " + invalidName.Output + invalidName.Error);
        Assert.Equal(["INVALID-SERVICE-NAMES.md"], Directory.EnumerateFileSystemEntries(refusedName).Select(Path.GetFileName));
        var nameNote = await File.ReadAllTextAsync(Path.Combine(refusedName, "INVALID-SERVICE-NAMES.md"));
        Assert.True(nameNote.Contains("the name `My_App` (as the template engine spells it)", StringComparison.Ordinal), nameNote);

        // The scaffold: the Slipway version defaults to the one packed; the feed is the test's folder.
        Directory.CreateDirectory(Repository);
        var scaffold = Dotnet(Repository, "new", "slipway", "-n", "Shop", "--frontend", "web", "--backend", "billing",
            "--proxy-port", _port.ToString(CultureInfo.InvariantCulture), "--feed", Feed);
        Assert.True(scaffold.ExitCode == 0, scaffold.Output + scaffold.Error);
        foreach (var file in new[] { "build.sh", "build.ps1", "build/Shop.Build.csproj", "build/Program.cs", "nuget.config", "global.json", ".gitignore", "Shop.slnx", "pipelines/ShopPipeline.cs",
            "environments/base.yml", "environments/dev.yml", "environments/staging.yml", "environments/prod.yml", "environments/environment.schema.json", "compose/stack.yml",
            "charts/app/Chart.yaml", "charts/app/values-prod.yaml", ".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/workflows/rollback.yml" })
        {
            Assert.True(File.Exists(Path.Combine(Repository, file)), $"the scaffold has no {file}");
        }

        // The template's post action made build.sh executable: the repository runs ./build.sh as it is (Build below).
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(Path.Combine(Repository, "build.sh")).HasFlag(UnixFileMode.UserExecute), "the scaffold's build.sh is not executable");
        Assert.Contains($"<SlipwayVersion>{Version}</SlipwayVersion>", await File.ReadAllTextAsync(Path.Combine(Repository, "build", "Shop.Build.csproj")), StringComparison.Ordinal);
        Assert.All(Tiers, name =>
            Assert.StartsWith("# yaml-language-server: $schema=./environment.schema.json", File.ReadAllText(Path.Combine(Repository, "environments", name + ".yml")), StringComparison.Ordinal));

        // The application: its two services and its pipeline (the scaffolded class plus its smoke check).
        var fixture = Path.Combine(TestPaths.RepositoryRoot, "tests", "Fixtures", "Shop");
        CopyDirectory(Path.Combine(fixture, "src"), Path.Combine(Repository, "src"));
        foreach (var file in FixturePipelineFiles)
        {
            File.Copy(file, Path.Combine(Repository, "pipelines", Path.GetFileName(file)), overwrite: true);
        }

        // This run's own Compose project and registry repositories on the shared engine.
        Edit("environments/base.yml", ("project: shop-${SLIPWAY_ENVIRONMENT}", $"project: {Prefix}-${{SLIPWAY_ENVIRONMENT}}"), ("repository_prefix: shop", $"repository_prefix: {Prefix}"));
        Git("init", "-q", "-b", "main");
        Commit("Shop, scaffolded by dotnet new slipway");

        // Through the repository's own build.sh: the host builds against the packages from the feed.
        var help = Build("--help");
        Assert.True(help.ExitCode == 0, help.Output + help.Error);
        foreach (var target in new[] { "DeployDev", "DeployStaging", "Canary", "Rollback", "E2ESmoke", "GenerateWorkflows" })
        {
            Assert.Contains(target, help.Output, StringComparison.Ordinal);
        }

        AssertRestoredFromTheFeed();

        var validate = Build("--target", "ValidateEnvironments");
        Assert.True(validate.ExitCode == 0, validate.Output + validate.Error);
        Assert.Contains("Valid environments: dev, prod, staging", validate.Output, StringComparison.Ordinal);

        var workflows = Build("--target", "CheckWorkflows");
        Assert.True(workflows.ExitCode == 0, "the workflows the template wrote differ from what the scaffold's pipeline generates:\n" + workflows.Output + workflows.Error);

        // DeployDev for real: build, publish, deploy; the frontend reads invoices from billing, which reads Postgres.
        var first = Build("--target", "DeployDev", "--skip", "Sbom", "--skip", "Scan");
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains($"dev is up: {StackUrl}", first.Output, StringComparison.Ordinal);
        var versionA = Release().Version;
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        var releaseA = SaveRelease("a");
        Assert.Empty(Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Prefix}-dev", "--filter", "label=com.docker.compose.service=redis"));
        await AddInvoiceAsync();

        // The staging plan for that release: every command resolved (its host, its images by digest), the secret masked.
        var plan = Build("--target", "DeployStaging", "--dry-run");
        Assert.True(plan.ExitCode == 0, plan.Output + plan.Error);
        Assert.Contains("Dry run complete", plan.Output, StringComparison.Ordinal);
        foreach (var command in new[] { "DOCKER_HOST=ssh://deploy@staging.internal", "POSTGRES_PASSWORD=***", $"--project-name {Prefix}-staging", "--profile migrate run --rm migrate", "--no-recreate --scale 'web=<count of the web containers running then + 2 from docker container ls>' web", "--no-recreate --scale 'billing=<count of the billing containers running then + 2 from docker container ls>' billing" })
        {
            Assert.True(plan.Output.Contains(command, StringComparison.Ordinal), $"the staging plan lacks '{command}':\n{plan.Output}");
        }

        // A redeploy of a new version under load through the proxy: not one failed request.
        HostProcessResult second;
        LoadSummary load;
        await using (var generator = new LoadGenerator(new Uri(StackUrl, "/invoices"), LoadRate, maxRequests: 20_000, maxDuration: TimeSpan.FromMinutes(10), tagged: true))
        {
            generator.Start();
            second = await Task.Run(() => Build("--target", "DeployDev", "--skip", "Sbom", "--skip", "Scan", "--version", $"2.0.0-adopt.{_id}"));
            load = await generator.StopAsync();
        }

        output.WriteLine($"redeploy under load: {load}");
        Assert.True(second.ExitCode == 0, second.Output + second.Error);
        var versionB = Release().Version;
        Assert.Equal(versionB, await StackProbe.ServedVersionAsync(StackUrl));
        Assert.True(load.Sent >= 100, $"the load sent only {load.Sent} requests during the redeploy: {load}");
        output.WriteLine($"redeploy, by the proxy's log: {ProxyVerdict.AssertNoFailure(load, ProxyLog(), "the redeploy")}");

        // A canary of release A beside B, in seconds (dev gains canary steps: the scaffold's prod runs its canary on
        // Kubernetes), under load, promoted by its analysis of what the proxy saw of it.
        await File.AppendAllTextAsync(Path.Combine(Repository, "environments", "dev.yml"), """

            canary:
              steps:
                - weight: 50
                  duration: 4s
              analysis_interval: 2s
              failure_limit: 1
              min_requests: 5
              # Latency is ComposeCanaryTests' story; on 2 busy cores a good canary's p95 can pass 500 ms.
              p95_latency: 2s

            """);
        File.Copy(releaseA, Path.Combine(Repository, "artifacts", "release.json"), overwrite: true);
        HostProcessResult canary;
        LoadSummary canaryLoad;
        await using (var generator = new LoadGenerator(new Uri(StackUrl, "/invoices"), LoadRate, maxRequests: 10_000, maxDuration: TimeSpan.FromMinutes(5), tagged: true))
        {
            generator.Start();
            canary = await Task.Run(() => Build("--target", "Canary", "--env", "dev"));
            canaryLoad = await generator.StopAsync();
        }

        output.WriteLine($"canary under load: {canaryLoad}");
        Assert.True(canary.ExitCode == 0, canary.Output + canary.Error);
        output.WriteLine($"canary, by the proxy's log: {ProxyVerdict.AssertNoFailure(canaryLoad, ProxyLog(), "the canary")}");
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        Assert.Equal(LedgerAction.Promoted, Ledger()[^1].Action);

        // Rollback: back to the good release before the promoted one, by digest, no rebuild.
        var rollback = Build("--target", "Rollback", "--env", "dev");
        Assert.True(rollback.ExitCode == 0, rollback.Output + rollback.Error);
        Assert.Equal(versionB, await StackProbe.ServedVersionAsync(StackUrl));
        Assert.Contains(LedgerAction.RolledBack, Ledger().TakeLast(2).Select(e => e.Action));
        var invoices = await new HttpClient { Timeout = TimeSpan.FromSeconds(5) }.GetStringAsync(new Uri(StackUrl, "/invoices"));
        Assert.Contains("adopter", invoices, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fixtures_pipeline_is_at_most_60_lines_of_CSharp()
    {
        var lines = FixturePipelineFiles.Sum(file => File.ReadAllLines(file).Length);
        output.WriteLine($"{FixturePipelineFiles.Count} file(s), {lines} lines");
        Assert.InRange(lines, 1, MaxPipelineLines);
    }

    /// <summary>Every package of src/ (built with the tests) and the template, at this run's version, into the feed.</summary>
    private void PackEveryPackage()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var projects = Directory.EnumerateDirectories(Path.Combine(TestPaths.RepositoryRoot, "src")).SelectMany(d => Directory.EnumerateFiles(d, "*.csproj"))
            .Select(p => (Project: p, Built: true))
            .Append((Path.Combine(TestPaths.RepositoryRoot, "templates", "Slipway.Templates", "Slipway.Templates.csproj"), false));
        foreach (var (project, built) in projects)
        {
            string[] args = ["pack", project, "--configuration", configuration, "--output", Feed, $"-p:Version={Version}", "--nologo", "--verbosity", "quiet", .. built ? ["--no-build"] : Array.Empty<string>()];
            var pack = HostProcess.Capture("dotnet", args, TestPaths.RepositoryRoot, TimeSpan.FromMinutes(5));
            Assert.True(pack.ExitCode == 0, $"dotnet pack {Path.GetFileName(project)}: {pack.Output}{pack.Error}");
        }

        var packed = Directory.EnumerateFiles(Feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        output.WriteLine("feed: " + string.Join(", ", packed));
        Assert.Equal(
            ["Slipway", "Slipway.Delivery", "Slipway.Environments", "Slipway.GitHub", "Slipway.Templates", "Slipway.Testing", "Slipway.Tools"],
            packed.Select(p => p![..^$".{Version}.nupkg".Length]));
    }

    /// <summary>The host restored every Slipway package at this run's version, each from the feed (NuGet records the source).</summary>
    private void AssertRestoredFromTheFeed()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository, "build", "obj", "project.assets.json")));
        var slipway = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).Where(n => n.StartsWith("Slipway", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(HostPackages.Select(p => $"{p}/{Version}").Order(StringComparer.Ordinal), slipway);
        var packages = assets.RootElement.GetProperty("project").GetProperty("restore").GetProperty("packagesPath").GetString()!;
        foreach (var library in slipway)
        {
            using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(packages, library.ToLowerInvariant(), ".nupkg.metadata")));
            Assert.Equal(Feed, metadata.RootElement.GetProperty("source").GetString()!.TrimEnd(Path.DirectorySeparatorChar));
        }
    }

    private HostProcessResult Build(params string[] args)
    {
        var (exitCode, stdout, stderr) = HostProcess.Capture(Path.Combine(Repository, "build.sh"), args, Repository, TimeSpan.FromMinutes(15),
            ("DOCKER_HOST", DockerHost), ("NO_COLOR", "1"), ("SLIPWAY_COSIGN", RealTools.Cosign));
        output.WriteLine($"./build.sh {string.Join(' ', args)} → exit {exitCode}");
        return new HostProcessResult(exitCode, stdout, stderr);
    }

    private (int ExitCode, string Output, string Error) Dotnet(string directory, params string[] args) =>
        HostProcess.Capture("dotnet", args, directory, TimeSpan.FromMinutes(3), ("DOTNET_CLI_HOME", Hive), ("DOTNET_NOLOGO", "1"), ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"));

    private async Task AddInvoiceAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var body = new StringContent("""{"customer":"adopter","amount":42.5}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(StackUrl, "/invoices"), body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    private ReleaseManifest Release() => ReleaseManifest.Read(Path.Combine(Repository, "artifacts", "release.json"));

    private IReadOnlyList<LedgerEntry> Ledger() => ReleaseLedger.Open(Path.Combine(Repository, ".slipway", "state", "dev", "ledger.jsonl")).ReadAll().Entries;

    private string SaveRelease(string name)
    {
        var path = Path.Combine(_work, $"release-{name}.json");
        File.Copy(Path.Combine(Repository, "artifacts", "release.json"), path, overwrite: true);
        return path;
    }

    private void Edit(string file, params (string From, string To)[] replacements)
    {
        var path = Path.Combine(Repository, file);
        var text = File.ReadAllText(path);
        foreach (var (from, to) in replacements)
        {
            Assert.Contains(from, text, StringComparison.Ordinal);
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        File.WriteAllText(path, text);
    }

    private void Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=Slipway Tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "-m", message);
    }

    private string Git(params string[] args) => HostProcess.Run("git", args, Repository);

    /// <summary>
    /// The log of the dev stack's proxy: a client timeout on this busy machine counts as a failure only when the proxy
    /// did not log the request answered in time (<see cref="ProxyVerdict"/>, as the delivery stories judge theirs).
    /// </summary>
    private string ProxyLog() => ProxyExposure.Log(DockerHost, $"{Prefix}-dev");

    private static string Docker(params string[] args) => HostProcess.Run("docker", ["--host", DockerHost, .. args], TestPaths.RepositoryRoot);

    private static void RequireEngineAndRegistry()
    {
        // In CI a missing prerequisite fails the test with what to do; it never skips it.
        try
        {
            Docker("version", "--format", "{{.Server.Version}}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"No Docker engine answers at {DockerHost}: run ./build.sh --target Provision (Debian/Ubuntu, root) or set DOCKER_HOST. ({ex.Message})", ex);
        }

        // Compose v2 as the Docker CLI plugin, and the real cosign (the dry run of DeployStaging renders its verify flags).
        RealTools.RequireComposeV2Plugin();
        _ = RealTools.Cosign;

        var registry = HostProcess.Capture("curl", ["--silent", "--fail", "--max-time", "5", $"http://{Registry}/v2/"]);
        Assert.True(registry.ExitCode == 0, $"No registry answers at {Registry}: run ./build.sh --target Provision.");
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
    }

    private void Try(Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine("cleanup: " + e.Message);
        }
    }

    private sealed record HostProcessResult(int ExitCode, string Output, string Error);
}
