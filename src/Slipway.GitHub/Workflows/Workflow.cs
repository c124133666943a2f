namespace Slipway.GitHub.Workflows;

/// <summary>
/// One GitHub Actions workflow file, as the generator builds it and <see cref="WorkflowYaml"/> writes it. Only the
/// parts of the workflow syntax Slipway emits are modelled; every collection keeps the order it is written in.
/// </summary>
/// <param name="FileName">The file name under <c>.github/workflows/</c>, e.g. <c>ci.yml</c>.</param>
/// <param name="Name">The workflow's display name.</param>
/// <param name="On">The events that start it.</param>
/// <param name="Jobs">Its jobs, in the order they are written.</param>
public sealed record Workflow(string FileName, string Name, WorkflowTriggers On, IReadOnlyList<WorkflowJob> Jobs)
{
    /// <summary>The default token permissions of every job; jobs widen them one scope at a time.</summary>
    public IReadOnlyDictionary<string, string> Permissions { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["contents"] = "read" };
}

/// <summary>The events that start a workflow.</summary>
public sealed record WorkflowTriggers
{
    /// <summary>Every pull request.</summary>
    public bool PullRequest { get; init; }

    /// <summary>Branch globs whose pushes start the workflow.</summary>
    public IReadOnlyList<string> PushBranches { get; init; } = [];

    /// <summary>Tag globs whose pushes start the workflow.</summary>
    public IReadOnlyList<string> PushTags { get; init; } = [];

    /// <summary>Manual runs (<c>workflow_dispatch</c>) and their inputs; null when the workflow cannot be started by hand.</summary>
    public IReadOnlyList<WorkflowInput>? Dispatch { get; init; }
}

/// <summary>An input of a manually started workflow.</summary>
/// <param name="Name">The input's name (<c>inputs.NAME</c>).</param>
/// <param name="Description">What it is for.</param>
/// <param name="Required">Whether a value must be given.</param>
/// <param name="Options">For a choice input, the allowed values; null for free text.</param>
public sealed record WorkflowInput(string Name, string Description, bool Required, IReadOnlyList<string>? Options = null);

/// <summary>One job of a workflow.</summary>
/// <param name="Id">The job's key, referenced by <c>needs</c>.</param>
/// <param name="Name">The display name.</param>
public sealed record WorkflowJob(string Id, string Name)
{
    /// <summary>Jobs that must succeed first.</summary>
    public IReadOnlyList<string> Needs { get; init; } = [];

    /// <summary>A condition (expression without <c>${{ }}</c>), or null to always run.</summary>
    public string? If { get; init; }

    /// <summary>The runner label.</summary>
    public string RunsOn { get; init; } = "ubuntu-latest";

    /// <summary>The GitHub environment the job deploys to (its protection rules and secrets apply), or null.</summary>
    public string? Environment { get; init; }

    /// <summary>Token permissions beyond the workflow's defaults; null keeps the defaults.</summary>
    public IReadOnlyDictionary<string, string>? Permissions { get; init; }

    /// <summary>The concurrency group, or null for none.</summary>
    public WorkflowConcurrency? Concurrency { get; init; }

    /// <summary>A one-dimensional matrix: the variable name and its values; null for no matrix.</summary>
    public WorkflowMatrix? Matrix { get; init; }

    /// <summary>Minutes before the job is cancelled.</summary>
    public int TimeoutMinutes { get; init; } = 60;

    /// <summary>Environment variables of every step, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<WorkflowStep> Steps { get; init; } = [];
}

/// <summary>A concurrency group: runs in one group queue behind each other.</summary>
/// <param name="Group">The group's name (may hold expressions).</param>
/// <param name="CancelInProgress">Whether a new run cancels the running one; never for deploys.</param>
public sealed record WorkflowConcurrency(string Group, bool CancelInProgress);

/// <summary>A matrix over one variable.</summary>
/// <param name="Variable">The variable (<c>matrix.NAME</c>).</param>
/// <param name="Values">Its values, one job each.</param>
public sealed record WorkflowMatrix(string Variable, IReadOnlyList<string> Values);

/// <summary>One step: an action (<see cref="Uses"/>) or a command (<see cref="Run"/>).</summary>
/// <param name="Name">The display name.</param>
public sealed record WorkflowStep(string Name)
{
    /// <summary>The pinned action this step uses, or null for a command.</summary>
    public PinnedAction? Uses { get; init; }

    /// <summary>The action's inputs, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> With { get; init; } = [];

    /// <summary>The command, or null for an action.</summary>
    public string? Run { get; init; }

    /// <summary>The step's own environment variables, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
}
