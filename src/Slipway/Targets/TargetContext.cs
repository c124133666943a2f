using Slipway.Processes;

namespace Slipway.Targets;

/// <summary>
/// What a target's work sees. Every effect goes through it — tools through <see cref="RunAsync"/>,
/// in-process effects through <c>DoAsync</c> — so a dry run can print them instead.
/// </summary>
public sealed class TargetContext : IToolSession
{
    private readonly ITargetLog _log;
    private readonly IToolRunner _runner;
    private readonly IRunOutputs _outputs;

    internal TargetContext(string target, string? item, SchedulerOptions options, ITargetLog log, IToolRunner runner, IRunOutputs outputs, CancellationToken cancellationToken)
    {
        Target = target;
        Item = item;
        RootDirectory = options.RootDirectory;
        IsDryRun = options.DryRun;
        IsVerbose = options.Verbose;
        _log = log;
        _runner = runner;
        _outputs = outputs;
        CancellationToken = cancellationToken;
    }

    private TargetContext(TargetContext other, CancellationToken cancellationToken)
    {
        Target = other.Target;
        Item = other.Item;
        RootDirectory = other.RootDirectory;
        IsDryRun = other.IsDryRun;
        IsVerbose = other.IsVerbose;
        _log = other._log;
        _runner = other._runner;
        _outputs = other._outputs;
        CancellationToken = cancellationToken;
    }

    /// <summary>The running target's name.</summary>
    public string Target { get; }

    /// <summary>The ForEach item's name, when running one.</summary>
    public string? Item { get; }

    /// <summary>The repository root.</summary>
    public string RootDirectory { get; }

    /// <summary>True in <c>--dry-run</c>: tools are printed, not run.</summary>
    public bool IsDryRun { get; }

    /// <summary>True at <c>--verbosity verbose</c> or above.</summary>
    public bool IsVerbose { get; }

    /// <summary>Cancelled when the run is cancelled (Ctrl-C, SIGTERM, another target's failure).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Runs a tool (in a dry run: prints it and returns an empty success).</summary>
    /// <param name="invocation">The tool, its arguments and environment.</param>
    /// <param name="echoOutput">False to keep the tool's output out of the log (it is still returned).</param>
    public async Task<ToolResult> RunAsync(ToolInvocation invocation, bool echoOutput = true)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        _log.Command(invocation);
        if (IsDryRun)
        {
            return ToolResult.DryRun;
        }

        return await _runner.RunAsync(InRoot(invocation), echoOutput ? _log : NullToolOutput.Instance, CancellationToken);
    }

    /// <summary>
    /// Runs a read-only query (<c>git rev-parse HEAD</c>, <c>docker image inspect</c>) — even in a dry run,
    /// so the commands a dry run prints are resolved. Never pass a command that changes anything.
    /// Its output is returned, not logged.
    /// </summary>
    public async Task<ToolResult> QueryAsync(ToolInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (IsVerbose)
        {
            _log.Command(invocation, "? ");
        }

        return await _runner.RunAsync(InRoot(invocation), NullToolOutput.Instance, CancellationToken);
    }

    /// <summary>Performs an in-process effect (in a dry run: prints <paramref name="description"/> only).</summary>
    public async Task DoAsync(string description, Func<CancellationToken, Task> effect)
    {
        ArgumentNullException.ThrowIfNull(effect);
        _log.Effect(description);
        if (!IsDryRun)
        {
            await effect(CancellationToken);
        }
    }

    /// <summary>Performs a synchronous in-process effect (in a dry run: prints <paramref name="description"/> only).</summary>
    public Task DoAsync(string description, Action effect)
    {
        ArgumentNullException.ThrowIfNull(effect);
        return DoAsync(description, _ =>
        {
            effect();
            return Task.CompletedTask;
        });
    }

    /// <summary>Writes an informational line to the target's output.</summary>
    public void Info(string message) => _log.StandardOutput(Redaction.Scrub(message));

    /// <summary>Writes a warning to the target's output.</summary>
    public void Warning(string message) => _log.Warning(Redaction.Scrub(message));

    /// <summary>Publishes an output of the run (a GitHub Actions step output when on Actions).</summary>
    public void SetOutput(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!IsDryRun)
        {
            _outputs.SetOutput(name, Redaction.Scrub(value));
        }
    }

    /// <summary>
    /// Stops this target (or this ForEach item) here and reports it as skipped with
    /// <paramref name="reason"/> — for work found to be already done, say "unchanged since the last build".
    /// </summary>
    public void Skip(string reason)
    {
        _log.StandardOutput("skipped: " + Redaction.Scrub(reason));
        throw new TargetSkippedException(reason);
    }

    /// <summary>Tools run in the repository root unless the invocation says otherwise, whatever the process's current directory.</summary>
    private ToolInvocation InRoot(ToolInvocation invocation) =>
        invocation.WorkingDirectory is null ? invocation.WithWorkingDirectory(RootDirectory) : invocation;

    /// <summary>
    /// The same context whose tools and effects stop only on <paramref name="cancellationToken"/>: for work that must finish
    /// after Ctrl+C or SIGTERM, such as taking a canary's traffic away before the run ends.
    /// </summary>
    public TargetContext WithCancellation(CancellationToken cancellationToken) => new(this, cancellationToken);

    /// <summary>
    /// The executable that would run for <paramref name="tool"/> (<c>SLIPWAY_&lt;TOOL&gt;</c>, PATH, the pipeline's tool
    /// directories), or null when it is not installed or the runner starts no process.
    /// </summary>
    public string? LocateTool(string tool) => _runner.Locate(tool);

    /// <summary>Resolves <paramref name="path"/> against the repository root.</summary>
    public string PathOf(string path) => Path.GetFullPath(Path.Combine(RootDirectory, path));
}

/// <summary>Where one target's output goes. Lines arrive already scrubbed.</summary>
internal interface ITargetLog : IToolOutput
{
    /// <summary>A tool is about to run; <paramref name="prefix"/> names the ForEach item, if any.</summary>
    void Command(ToolInvocation invocation, string prefix = "");

    /// <summary>An in-process effect is about to happen.</summary>
    void Effect(string description, string prefix = "");

    /// <summary>A warning.</summary>
    void Warning(string line);
}

/// <summary>Receives named outputs of a run.</summary>
internal interface IRunOutputs
{
    /// <summary>Records an output value.</summary>
    void SetOutput(string name, string value);
}

/// <summary>Told about each target as the scheduler starts and finishes it.</summary>
internal interface IRunObserver
{
    /// <summary>A target is starting; returns the sink for its output.</summary>
    ITargetLog TargetStarted(PlannedTarget target);

    /// <summary>A target has an outcome (ran, failed, skipped or did not run).</summary>
    void TargetFinished(PlannedTarget target, TargetOutcome outcome);
}

/// <summary>Thrown by <see cref="TargetContext.Skip"/>; the scheduler records the target or item as skipped.</summary>
public sealed class TargetSkippedException : Exception
{
    /// <summary>Creates the exception with the reason shown in the summary.</summary>
    public TargetSkippedException(string reason)
        : base(reason)
    {
    }

    /// <summary>Creates the exception with no reason.</summary>
    public TargetSkippedException()
    {
    }

    /// <summary>Creates the exception wrapping another.</summary>
    public TargetSkippedException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }
}
