using Slipway.Build;
using Slipway.Processes;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// A throwaway git repository with the offline Terraform fixture stack (Fixtures/terraform: terraform_data only, local
/// backend) as infra/fixture, and environment files that point at it. The pipeline runs in-process with the real
/// terraform; no Docker is involved.
/// </summary>
public sealed class TerraformWorkspace : IDisposable
{
    /// <summary>A minimal environment with an infra section; allow_destroy is false (the default).</summary>
    private const string EnvironmentTemplate = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          compose:
            project: itest-infra
        registry:
          address: 127.0.0.1:5000
        services:
          api:
            image: api
            dockerfile: samples/Api/Dockerfile
        state_directory: .slipway/state/itest
        """;

    public TerraformWorkspace()
    {
        Terraform = RequireTerraform();
        Directory.CreateDirectory(Path.Combine(Root, "environments"));
        var fixture = Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.IntegrationTests", "Fixtures", "terraform");
        Directory.CreateDirectory(StackDirectory);
        foreach (var file in Directory.EnumerateFiles(fixture))
        {
            File.Copy(file, Path.Combine(StackDirectory, Path.GetFileName(file)));
        }

        var infra = $"""
            infra:
              stack: infra/fixture
              var_files:
                - fixture.tfvars
              backend:
                path: {StateFile}
            """;
        File.WriteAllText(Path.Combine(Root, "environments", "itest.yml"), EnvironmentTemplate + "\n" + infra + "\n");
        File.WriteAllText(Path.Combine(Root, "environments", "destroyable.yml"), EnvironmentTemplate + "\n" + infra + "\n  allow_destroy: true\n");
        File.WriteAllText(Path.Combine(Root, "environments", "noinfra.yml"), EnvironmentTemplate + "\n");
        File.WriteAllText(Path.Combine(Root, ".gitignore"), "artifacts/\n.terraform/\n*.tfstate*\n");
        Git("init", "-q", "-b", "main");
        Commit("terraform test workspace");
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-itest-tf", Guid.NewGuid().ToString("N")[..10]);

    public string StackDirectory => Path.Combine(Root, "infra", "fixture");

    /// <summary>Outside the stack, so the state survives whatever the test does to the stack.</summary>
    public string StateFile => Path.Combine(Root, "state", "fixture.tfstate");

    /// <summary>The terraform executable the tests use: SLIPWAY_TERRAFORM, else terraform on PATH.</summary>
    public string Terraform { get; }

    public string PlanFile(string environment = "itest") => Path.Combine(Root, "artifacts", "infra", environment, "plan.tfplan");

    public string PlanRecord(string environment = "itest") => Path.Combine(Root, "artifacts", "infra", environment, "plan.json");

    /// <summary>Runs the repository's pipeline in the workspace with the real tools.</summary>
    public Task<HostRun> RunAsync(params string[] args)
    {
        var resolver = new ToolResolver(Environment.GetEnvironmentVariable);
        return InProcessHost.RunAsync(new SlipwayPipeline(), args, runner: new ProcessRunner(resolver), workingDirectory: Root);
    }

    /// <summary>Rewrites the fixture's variable file and commits it, as a change to the infrastructure would be.</summary>
    public void ChangeVariables(string tfvars)
    {
        File.WriteAllText(Path.Combine(StackDirectory, "fixture.tfvars"), tfvars);
        Commit("change the fixture's variables");
    }

    public void Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=Slipway Tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "--allow-empty", "-m", message);
    }

    public string Head() => Git("rev-parse", "HEAD");

    /// <summary>What the state holds now, through terraform itself (<c>terraform output -raw NAME</c>).</summary>
    public string Output(string name) => HostProcess.Run(Terraform, ["output", "-raw", name], StackDirectory);

    public string Git(params string[] args) => HostProcess.Run("git", args, Root);

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Fails (never skips, in CI or not) with what to do when terraform cannot be found.</summary>
    private static string RequireTerraform()
    {
        try
        {
            return new ToolResolver(Environment.GetEnvironmentVariable).Resolve("terraform");
        }
        catch (ToolNotFoundException ex)
        {
            throw new InvalidOperationException($"These tests need Terraform 1.4+ (the built-in terraform_data resource): install it on PATH or set SLIPWAY_TERRAFORM. {ex.Message}", ex);
        }
    }
}
