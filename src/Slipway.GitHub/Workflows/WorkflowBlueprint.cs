namespace Slipway.GitHub.Workflows;

/// <summary>
/// What a pipeline wants from GitHub Actions: which workflow files, which environment each lane deploys to, and
/// which targets each job runs. The generator takes the rest — triggers, <c>needs</c>, artifacts, permissions,
/// secrets — from the target graph and the environment files, so the blueprint names targets and nothing else.
/// </summary>
/// <param name="Files">The workflow files.</param>
public sealed record WorkflowBlueprint(IReadOnlyList<WorkflowFileSpec> Files)
{
    /// <summary>Targets that sign; a job that runs one for a keyless environment gets <c>id-token: write</c>.</summary>
    public IReadOnlyList<string> SigningTargets { get; init; } = [];

    /// <summary>Targets that push images; a job that runs one for a ghcr.io registry gets <c>packages: write</c>.</summary>
    public IReadOnlyList<string> PublishingTargets { get; init; } = [];

    /// <summary>Targets that call cosign; a job that runs one installs it first.</summary>
    public IReadOnlyList<string> CosignTargets { get; init; } = [];

    /// <summary>The runner label of every job.</summary>
    public string RunsOn { get; init; } = "ubuntu-latest";
}

/// <summary>One workflow file: lanes started by their environments' triggers, or one manually started job.</summary>
/// <param name="FileName">The file under <c>.github/workflows/</c>.</param>
/// <param name="Name">The workflow's display name.</param>
/// <param name="Lanes">Environment lanes; the file's triggers are their environments' triggers.</param>
public sealed record WorkflowFileSpec(string FileName, string Name, IReadOnlyList<LaneSpec> Lanes)
{
    /// <summary>A manually started job over a choice of environments (Rollback), or null.</summary>
    public DispatchSpec? Dispatch { get; init; }
}

/// <summary>The jobs that run for one environment, when its trigger fires.</summary>
/// <param name="Environment">The environment file's name (<c>staging</c>).</param>
/// <param name="GitHubEnvironment">The GitHub environment its deploy jobs use (<c>production</c> for prod).</param>
/// <param name="Jobs">The jobs, in order.</param>
public sealed record LaneSpec(string Environment, string GitHubEnvironment, IReadOnlyList<JobSpec> Jobs);

/// <summary>One job: <c>./build.sh --target T1 T2 --env E</c>.</summary>
/// <param name="Id">The job key, unique in its file.</param>
/// <param name="Targets">The targets the one command runs (the pipeline adds their dependencies, as locally).</param>
public sealed record JobSpec(string Id, IReadOnlyList<string> Targets)
{
    /// <summary>Fan out one job per service of the environment (<c>--service NAME</c>).</summary>
    public bool PerService { get; init; }

    /// <summary>The job deploys: GitHub environment, a concurrency group per environment, deployments reported.</summary>
    public bool Deploys { get; init; }

    /// <summary>Add <c>--provision</c> (Docker engine, registry and tools on the runner).</summary>
    public bool Provision { get; init; }

    /// <summary>Pass the environment's secrets and variables (from its file) to the job.</summary>
    public bool UsesSecrets { get; init; }

    /// <summary>Minutes before GitHub cancels the job.</summary>
    public int TimeoutMinutes { get; init; } = 60;
}

/// <summary>A <c>workflow_dispatch</c> job with an environment choice and a version input.</summary>
/// <param name="Job">The job; its command gets <c>--env</c> from the choice.</param>
/// <param name="Environments">The environments to choose from.</param>
/// <param name="VersionParameter">The pipeline parameter the optional version input sets through its variable (<c>SLIPWAY_TO</c>).</param>
public sealed record DispatchSpec(JobSpec Job, IReadOnlyList<string> Environments, string VersionParameter)
{
    /// <summary>GitHub environment names that differ from the environment file's (prod → production).</summary>
    public IReadOnlyDictionary<string, string> GitHubEnvironments { get; init; } = new Dictionary<string, string>();
}
