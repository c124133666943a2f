using System.Reflection;
using System.Runtime.InteropServices;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>
/// Runs a pipeline from the command line: parse, bind, validate, plan — every error reported before
/// the first side effect, exit 2 — then run (or print the dry run), print the summary, and exit
/// 0, 1 or 130. No input ends in a stack trace: whatever escapes is reported as one line (the trace
/// only with <c>--verbosity diagnostic</c>), and every value echoed in an error is escaped
/// (<see cref="PrintableText"/>) so it cannot start a GitHub workflow command or a terminal sequence.
/// </summary>
public static class SlipwayHost
{
    /// <summary>The entry point for <c>Program.cs</c>: <c>return await SlipwayHost.RunAsync&lt;Release&gt;(args);</c>.</summary>
    public static async Task<int> RunAsync<TPipeline>(string[] args)
        where TPipeline : Pipeline, new()
    {
        using var cancellation = new CancellationTokenSource();
        using var cleanupCancellation = new CancellationTokenSource();

        // The first Ctrl-C or SIGTERM cancels the run (tools are killed with their process trees, cleanup
        // targets still run); a second one cancels the cleanup too.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (cancellation.IsCancellationRequested)
            {
                cleanupCancellation.Cancel();
            }
            else
            {
                cancellation.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await RunAsync(new TPipeline(), args, HostContext.FromProcess(cancellation.Token, cleanupCancellation.Token));
    }

    /// <summary>Runs <paramref name="pipeline"/> with <paramref name="args"/> in <paramref name="context"/>.</summary>
    public static async Task<int> RunAsync(Pipeline pipeline, IReadOnlyList<string> args, HostContext context)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        using var console = new ConsoleOutput(context.Out, context.IsTerminal);
        var progress = new RunProgress();
        try
        {
            return await RunCoreAsync(pipeline, args, context, console, progress);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            console.Line(progress.Started ? "Cancelled." : "Cancelled before anything ran.");
            return ExitCodes.Cancelled;
        }
#pragma warning disable CA1031 // The last line of defence: whatever an input caused is reported as a line, not a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Before the run, nothing has happened yet: a usage or configuration problem (exit 2). After it started,
            // a failure of the run itself (exit 1).
            var lines = new List<string> { ex.Message };
            if (progress.Diagnostic)
            {
                lines.AddRange(ex.ToString().Split('\n').Skip(1).Select(l => l.TrimEnd('\r')));
            }
            else
            {
                lines.Add("Run with --verbosity diagnostic for where it happened.");
            }

            return progress.Started ? Failure(context, lines) : UsageError(context, lines);
        }
        finally
        {
            console.Flush();
            await context.Error.FlushAsync();
        }
    }

    private static async Task<int> RunCoreAsync(Pipeline pipeline, IReadOnlyList<string> args, HostContext context, ConsoleOutput console, RunProgress progress)
    {
        pipeline.RootDirectory = context.WorkingDirectory;
        pipeline.Variables = context.Environment;
        pipeline.Cancellation = context.Cancellation;
        var parameters = Pipeline.DiscoverParameters(pipeline.GetType());
        var (options, usageErrors) = CommandLineParser.Parse(args, parameters);
        if (options is null)
        {
            return UsageError(context, usageErrors);
        }

        progress.Diagnostic = options.Verbosity >= Verbosity.Diagnostic;

        if (options.ShowVersion)
        {
            console.Line($"{pipeline.Title} (Slipway {SlipwayVersion})");
            return ExitCodes.Success;
        }

        var showHelp = options.Help || options.Description;
        var bindErrors = ParameterBinder.Bind(pipeline, parameters, options.Parameters, context.Environment);
        if (bindErrors.Count > 0 && !showHelp)
        {
            return UsageError(context, bindErrors);
        }

        TargetGraph graph;
        try
        {
            graph = pipeline.BuildGraph();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return UsageError(context, [$"The pipeline's target definitions are invalid: {Redaction.Scrub(ex.Message)}"]);
        }

        if (showHelp || (options.Targets.Count == 0 && graph.DefaultTarget is null && !options.Tree))
        {
            console.Line(HelpRenderer.Render(pipeline.Title, graph, parameters, includeUsage: !options.Description).TrimEnd('\n'));
            return ExitCodes.Success;
        }

        IReadOnlyList<string> requested = options.Targets.Count > 0 ? options.Targets : graph.DefaultTarget is { } defaultTarget ? [defaultTarget] : [];
        var additional = pipeline.AdditionalTargets.Concat(graph.Targets.Where(t => t.AddedToEveryPlanWhen?.Invoke() == true).Select(t => t.Name));
        var request = new PlanRequest([.. additional, .. requested], options.Skip, options.Exclusive);
        if (options.Tree)
        {
            var roots = requested.Count > 0 ? requested : [.. graph.Targets.Select(t => t.Name)];
            var unknown = roots.Where(r => !graph.ByName.ContainsKey(r)).ToList();
            if (unknown.Count > 0)
            {
                var known = graph.Targets.Select(t => t.Name).ToList();
                return UsageError(context, [.. unknown.Select(u => $"Unknown target '{u}'.{NameSuggestions.DidYouMean(u, known)} {Planner.AvailableTargets(graph)}")]);
            }

            console.Write(TreeRenderer.Render(graph, [.. roots.Select(r => graph.ByName[r].Name)]));
            return ExitCodes.Success;
        }

        var planned = Planner.Plan(graph, request, parameters, name => ParameterBinder.HasValue(pipeline, parameters, name));
        if (!planned.Succeeded)
        {
            return UsageError(context, planned.Errors);
        }

        if (options.Verbosity >= Verbosity.Verbose)
        {
            console.Line("Plan: " + string.Join(" → ", planned.Plan!.Targets.Select(t => t.Name)) + " (checking its configuration)");
            console.Flush();
        }

        // Loading configuration reads files anyone can write: Ctrl-C must end it at once even when a pipeline's own
        // checks do not watch the token (the host stops waiting; the process exits with the check unfinished).
        var plan = planned.Plan!;
        var configurationErrors = await Task.Run(() => CheckConfiguration(pipeline, plan), context.Cancellation).WaitAsync(context.Cancellation);
        if (configurationErrors.Count > 0)
        {
            return UsageError(context, configurationErrors);
        }

        progress.Started = true;
        return await ExecuteAsync(pipeline, plan, options, context, console);
    }

    /// <summary>The planned targets' own checks (each message once), then the pipeline's: every error before anything runs.</summary>
    private static List<string> CheckConfiguration(Pipeline pipeline, Plan plan)
    {
        var errors = plan.Targets
            .Where(t => t.SkipReason is null)
            .SelectMany(t => t.Spec.Validations)
            .Distinct()
            .SelectMany(check => check(plan))
            .ToList();
        errors.AddRange(pipeline.Validate(plan));
        return [.. errors.Distinct(StringComparer.Ordinal)];
    }

    private static async Task<int> ExecuteAsync(Pipeline pipeline, Plan plan, CommandLineOptions options, HostContext context, ConsoleOutput console)
    {
        var github = GitHubActions.Detect(context.Environment);
        void MaskNewSecret(string value) => console.Line(GitHubActions.MaskCommands([value]).Single());
        if (github is not null)
        {
            // Masks go first, before any line that could carry a secret; secrets first resolved during
            // the run (an env: reference of the environment, say) are masked the moment they appear.
            foreach (var mask in GitHubActions.MaskCommands(Redaction.KnownValues))
            {
                console.Line(mask);
            }

            Redaction.Registered += MaskNewSecret;
        }

        try
        {
            return await RunPlanAsync(pipeline, plan, options, context, console, github);
        }
        finally
        {
            Redaction.Registered -= MaskNewSecret;
        }
    }

    private static async Task<int> RunPlanAsync(Pipeline pipeline, Plan plan, CommandLineOptions options, HostContext context, ConsoleOutput console, GitHubActions? github)
    {

        var reporter = new RunReporter(console, options.Verbosity, github, options.DryRun);
        if (options.DryRun)
        {
            reporter.Line($"Dry run of {string.Join(", ", plan.Requested)}: {plan.Targets.Length} targets, nothing will be executed. Commands are shown resolved, secrets as ***.");
        }

        var runner = context.Runner ?? new ProcessRunner(new ToolResolver(
            name => context.Environment.GetValueOrDefault(name),
            [.. pipeline.ToolDirectories.Select(d => Path.Combine(context.WorkingDirectory, d))]));
        var schedulerOptions = new SchedulerOptions(options.Parallel, options.Continue, options.DryRun, context.WorkingDirectory) { Verbose = options.Verbosity >= Verbosity.Verbose };
        RunReport report;
        if (console.IsTerminal && !options.DryRun && options.Verbosity > Verbosity.Quiet)
        {
            await using var progress = await LiveProgress.StartAsync(console.Console, reporter, plan.Targets.Length);
            report = await Scheduler.RunAsync(plan, schedulerOptions, runner, progress, reporter, context.Cancellation, context.CleanupCancellation);
        }
        else
        {
            report = await Scheduler.RunAsync(plan, schedulerOptions, runner, reporter, reporter, context.Cancellation, context.CleanupCancellation);
        }

        if (options.DryRun)
        {
            reporter.Line(report.Succeeded
                ? $"Dry run complete: {plan.Targets.Length} targets, {reporter.CommandCount} commands; nothing was run."
                : $"Dry run failed: {string.Join("; ", report.Outcomes.Where(o => o.Status == TargetStatus.Failed).Select(o => $"{o.Name}: {o.Reason}"))}");
        }
        else if (options.Verbosity > Verbosity.Quiet || !report.Succeeded)
        {
            console.Write(SummaryRenderer.Table(report));
        }

        github?.AppendStepSummary(SummaryRenderer.Markdown(report, plan.Requested));

        if (report.Cancelled)
        {
            reporter.Line("Cancelled: running tools were stopped and cleanup targets ran.");
            return ExitCodes.Cancelled;
        }

        return report.Succeeded ? ExitCodes.Success : RefusedInputOnly(report) ? ExitCodes.UsageError : ExitCodes.TargetFailed;
    }

    /// <summary>True when every failed target failed on an input it refused (<see cref="IRefusedInput"/>), not on its work.</summary>
    private static bool RefusedInputOnly(RunReport report)
    {
        var failed = report.Outcomes.Where(o => o.Status == TargetStatus.Failed).ToList();
        return failed.Count > 0 && failed.All(o => Refused(o.Error));

        static bool Refused(Exception? error) => error switch
        {
            IRefusedInput => true,
            AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(Refused),
            { InnerException: { } inner } => Refused(inner),
            _ => false,
        };
    }

    /// <summary>The one place usage and configuration errors are written: scrubbed of secrets, then escaped.</summary>
    private static int UsageError(HostContext context, IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine("error: " + PrintableText.Escape(Redaction.Scrub(error)));
        }

        context.Error.WriteLine("Nothing was run. See --help for usage.");
        return ExitCodes.UsageError;
    }

    private static int Failure(HostContext context, IReadOnlyList<string> lines)
    {
        foreach (var line in lines)
        {
            context.Error.WriteLine("error: " + PrintableText.Escape(Redaction.Scrub(line)));
        }

        return ExitCodes.TargetFailed;
    }

    /// <summary>How far a run got, for reporting what escapes it.</summary>
    private sealed class RunProgress
    {
        /// <summary>Targets have started (or were printed, in a dry run): a failure now is the run's, not the input's.</summary>
        public bool Started { get; set; }

        /// <summary><c>--verbosity diagnostic</c>: show stack traces.</summary>
        public bool Diagnostic { get; set; }
    }

    private static string SlipwayVersion =>
        typeof(SlipwayHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
