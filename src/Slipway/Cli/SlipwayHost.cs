using System.Reflection;
using System.Runtime.InteropServices;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>
/// Runs a pipeline from the command line: parse, bind, validate, plan — every error reported before
/// the first side effect, exit 2 — then run (or print the dry run), print the summary, and exit
/// 0, 1 or 130.
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
        try
        {
            return await RunCoreAsync(pipeline, args, context, console);
        }
        finally
        {
            console.Flush();
            await context.Error.FlushAsync();
        }
    }

    private static async Task<int> RunCoreAsync(Pipeline pipeline, IReadOnlyList<string> args, HostContext context, ConsoleOutput console)
    {
        pipeline.RootDirectory = context.WorkingDirectory;
        pipeline.Variables = context.Environment;
        var parameters = Pipeline.DiscoverParameters(pipeline.GetType());
        var (options, usageErrors) = CommandLineParser.Parse(args, parameters);
        if (options is null)
        {
            return UsageError(context, usageErrors);
        }

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

        var configurationErrors = CheckConfiguration(pipeline, planned.Plan!);
        if (configurationErrors.Count > 0)
        {
            return UsageError(context, configurationErrors);
        }

        return await ExecuteAsync(pipeline, planned.Plan!, options, context, console);
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
        else if (options.Verbosity >= Verbosity.Verbose)
        {
            reporter.Line("Plan: " + string.Join(" → ", plan.Targets.Select(t => t.Name)));
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

        return report.Succeeded ? ExitCodes.Success : ExitCodes.TargetFailed;
    }

    private static int UsageError(HostContext context, IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine("error: " + Redaction.Scrub(error));
        }

        context.Error.WriteLine("Nothing was run. See --help for usage.");
        return ExitCodes.UsageError;
    }

    private static string SlipwayVersion =>
        typeof(SlipwayHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
