using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Slipway.Processes;

namespace Slipway.Targets;

/// <summary>How the scheduler runs a plan.</summary>
/// <param name="Parallelism">How many targets and ForEach items run at once.</param>
/// <param name="ContinueOnFailure">Keep running what does not depend on a failed target.</param>
/// <param name="DryRun">Print every effect instead of performing it, one target at a time in plan order.</param>
/// <param name="RootDirectory">The repository root, for Produces/Consumes paths.</param>
internal sealed record SchedulerOptions(int Parallelism, bool ContinueOnFailure, bool DryRun, string RootDirectory)
{
    /// <summary>True at verbose verbosity or above; targets may print more.</summary>
    public bool Verbose { get; init; }
}

/// <summary>
/// Runs a plan: targets start as soon as what they wait for has finished, up to
/// <see cref="SchedulerOptions.Parallelism"/> at once, ForEach items included. The first failure
/// cancels what is running (unless continuing); cleanup (Finally) targets run after their owner
/// whatever happened, with their own cancellation token.
/// </summary>
internal sealed class Scheduler : IDisposable
{
    private readonly Plan _plan;
    private readonly SchedulerOptions _options;
    private readonly IToolRunner _runner;
    private readonly IRunObserver _observer;
    private readonly IRunOutputs _outputs;
    private readonly SemaphoreSlim _slots;
    private readonly Dictionary<string, TargetOutcome> _outcomes = new(StringComparer.Ordinal);

    private Scheduler(Plan plan, SchedulerOptions options, IToolRunner runner, IRunObserver observer, IRunOutputs outputs)
    {
        _plan = plan;
        _options = options;
        _runner = runner;
        _observer = observer;
        _outputs = outputs;
        _slots = new SemaphoreSlim(options.DryRun ? 1 : Math.Max(1, options.Parallelism));
    }

    /// <summary>Runs <paramref name="plan"/>.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="options">Parallelism, failure handling, dry run.</param>
    /// <param name="runner">Runs tools.</param>
    /// <param name="observer">Receives target output and outcomes.</param>
    /// <param name="outputs">Receives named outputs.</param>
    /// <param name="cancellation">Cancels the run (first Ctrl-C or SIGTERM).</param>
    /// <param name="cleanupCancellation">Cancels cleanup targets too (a second signal).</param>
    public static async Task<RunReport> RunAsync(
        Plan plan,
        SchedulerOptions options,
        IToolRunner runner,
        IRunObserver observer,
        IRunOutputs outputs,
        CancellationToken cancellation,
        CancellationToken cleanupCancellation)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        using var scheduler = new Scheduler(plan, options, runner, observer, outputs);
        return await scheduler.RunAsync(cancellation, cleanupCancellation);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private async Task<RunReport> RunAsync(CancellationToken cancellation, CancellationToken cleanupCancellation)
    {
        var stopwatch = Stopwatch.StartNew();
        var byName = _plan.Targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var waiting = _plan.Targets.ToDictionary(t => t.Name, t => t.WaitFor.Length, StringComparer.Ordinal);
        var dependents = _plan.Targets.ToDictionary(t => t.Name, _ => new List<PlannedTarget>(), StringComparer.Ordinal);
        foreach (var target in _plan.Targets)
        {
            foreach (var predecessor in target.WaitFor)
            {
                dependents[predecessor].Add(target);
            }
        }

        var ready = new PriorityQueue<PlannedTarget, int>();
        foreach (var target in _plan.Targets.Where(t => t.WaitFor.IsEmpty))
        {
            ready.Enqueue(target, target.Order);
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var completions = Channel.CreateUnbounded<(PlannedTarget Target, TargetOutcome Outcome)>();
        string? stopReason = null;
        var running = 0;

        void Complete(PlannedTarget target, TargetOutcome outcome)
        {
            _outcomes[target.Name] = outcome;
            _observer.TargetFinished(target, outcome);
            foreach (var dependent in dependents[target.Name])
            {
                if (--waiting[dependent.Name] == 0)
                {
                    ready.Enqueue(dependent, dependent.Order);
                }
            }
        }

        while (true)
        {
            while (ready.TryDequeue(out var target, out _))
            {
                var decided = Decide(target, run.IsCancellationRequested ? stopReason ?? "the run was cancelled" : null);
                if (decided is not null)
                {
                    Complete(target, decided);
                    continue;
                }

                var token = target.IsFinally ? cleanupCancellation : run.Token;
                running++;
                _ = Task.Run(async () =>
                {
                    var outcome = await ExecuteAsync(target, token);
                    completions.Writer.TryWrite((target, outcome));
                }, CancellationToken.None);

                if (_options.DryRun)
                {
                    // One at a time, in plan order: a dry run reads like a script.
                    break;
                }
            }

            if (running == 0)
            {
                break;
            }

            var (finished, result) = await completions.Reader.ReadAsync(CancellationToken.None);
            running--;
            if (result.Status == TargetStatus.Failed && !_options.ContinueOnFailure && stopReason is null && !finished.IsFinally)
            {
                stopReason = $"{finished.Name} failed";
                await run.CancelAsync();
            }

            Complete(finished, result);
        }

        var outcomes = _plan.Targets.Select(t => _outcomes.TryGetValue(t.Name, out var o) ? o : TargetOutcome.Without(t.Name, TargetStatus.NotRun, "not reached")).ToImmutableArray();
        return new RunReport(outcomes, cancellation.IsCancellationRequested, stopwatch.Elapsed);
    }

    /// <summary>Decides a ready target's fate without running it, or returns null to run it.</summary>
    private TargetOutcome? Decide(PlannedTarget target, string? stopped)
    {
        if (target.IsFinally)
        {
            return target.FinallyOf.Any(o => _outcomes.TryGetValue(o, out var outcome) && outcome.Started)
                ? null
                : TargetOutcome.Without(target.Name, TargetStatus.Skipped, $"{string.Join(", ", target.FinallyOf)} did not start, nothing to clean up");
        }

        if (stopped is not null)
        {
            return TargetOutcome.Without(target.Name, TargetStatus.NotRun, stopped);
        }

        foreach (var dependency in target.MustSucceed)
        {
            var outcome = _outcomes[dependency];
            if (outcome.Status is TargetStatus.Failed or TargetStatus.Cancelled or TargetStatus.NotRun)
            {
                return TargetOutcome.Without(target.Name, TargetStatus.NotRun, $"{dependency} {(outcome.Status == TargetStatus.NotRun ? "did not run" : outcome.Status.ToString().ToLowerInvariant())}");
            }
        }

        if (target.SkipReason is not null)
        {
            return TargetOutcome.Without(target.Name, TargetStatus.Skipped, target.SkipReason);
        }

        try
        {
            var unmet = target.Spec.Conditions.FirstOrDefault(c => !c.Condition());
            return unmet is null ? null : TargetOutcome.Without(target.Name, TargetStatus.Skipped, unmet.Reason);
        }
#pragma warning disable CA1031 // A condition that throws fails its target; it must not take the scheduler down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new TargetOutcome(target.Name, TargetStatus.Failed, TimeSpan.Zero, "OnlyWhen condition threw: " + Redaction.Scrub(ex.Message), ex, []);
        }
    }

    private async Task<TargetOutcome> ExecuteAsync(PlannedTarget target, CancellationToken cancellation)
    {
        var spec = target.Spec;
        ITargetLog? log = null;
        var stopwatch = new Stopwatch();
        var items = ImmutableArray<ItemOutcome>.Empty;
        var before = spec.Actions[..spec.ItemsPosition];
        var after = spec.Actions[spec.ItemsPosition..];

        // A target starts when it holds a slot (or, for one that begins with ForEach items, at once:
        // each item takes its own slot), so progress shows only what really runs.
        ITargetLog Start()
        {
            stopwatch.Start();
            var started = _observer.TargetStarted(target);
            if (!_options.DryRun)
            {
                CheckConsumed(spec);
            }

            return started;
        }

        try
        {
            if (!before.IsEmpty)
            {
                await _slots.WaitAsync(cancellation);
                try
                {
                    log = Start();
                    await RunActionsAsync(spec, before, log, cancellation);
                }
                finally
                {
                    _slots.Release();
                }
            }

            log ??= Start();
            if (spec.HasItems)
            {
                items = await RunItemsAsync(spec, spec.ResolveItems(), log, cancellation);
                var failed = items.FirstOrDefault(i => i.Status == TargetStatus.Failed);
                if (failed is not null)
                {
                    // The items' own exceptions, so the host can tell refused inputs (exit 2) from failed work.
                    var errors = items.Select(i => i.Error).OfType<Exception>().ToList();
                    return new TargetOutcome(spec.Name, TargetStatus.Failed, stopwatch.Elapsed, $"{failed.Name}: {failed.Reason}", errors.Count > 0 ? new AggregateException(errors) : null, items);
                }

                cancellation.ThrowIfCancellationRequested();
                if (after.IsEmpty && !items.IsEmpty && items.All(i => i.Status == TargetStatus.Skipped))
                {
                    return new TargetOutcome(spec.Name, TargetStatus.Skipped, stopwatch.Elapsed, "every item skipped: " + items[0].Reason, null, items);
                }
            }

            if (!after.IsEmpty)
            {
                await _slots.WaitAsync(cancellation);
                try
                {
                    await RunActionsAsync(spec, after, log, cancellation);
                }
                finally
                {
                    _slots.Release();
                }
            }

            if (!_options.DryRun)
            {
                CheckProduced(spec);
            }

            return new TargetOutcome(spec.Name, TargetStatus.Succeeded, stopwatch.Elapsed, null, null, items);
        }
        catch (TargetSkippedException skipped)
        {
            return new TargetOutcome(spec.Name, TargetStatus.Skipped, stopwatch.Elapsed, Redaction.Scrub(skipped.Message), null, items);
        }
        catch (OperationCanceledException ex) when (cancellation.IsCancellationRequested)
        {
            return log is null
                ? TargetOutcome.Without(spec.Name, TargetStatus.NotRun, "cancelled before it started")
                : new TargetOutcome(spec.Name, TargetStatus.Cancelled, stopwatch.Elapsed, "cancelled while running", ex, items);
        }
#pragma warning disable CA1031 // Any failure of user code is the target's failure, reported in its outcome.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new TargetOutcome(spec.Name, TargetStatus.Failed, stopwatch.Elapsed, Redaction.Scrub(ex.Message), ex, items);
        }
    }

    private async Task RunActionsAsync(TargetSpec spec, ImmutableArray<TargetAction> actions, ITargetLog log, CancellationToken cancellation)
    {
        var context = new TargetContext(spec.Name, null, _options, log, _runner, _outputs, cancellation);
        foreach (var action in actions)
        {
            cancellation.ThrowIfCancellationRequested();
            await action.Run(context);
        }
    }

    private async Task<ImmutableArray<ItemOutcome>> RunItemsAsync(TargetSpec spec, ImmutableArray<TargetItem> items, ITargetLog log, CancellationToken cancellation)
    {
        using var siblings = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var results = new ItemOutcome[items.Length];

        async Task RunItem(int index)
        {
            var item = items[index];
            var stopwatch = Stopwatch.StartNew();
            try
            {
                await _slots.WaitAsync(siblings.Token);
            }
            catch (OperationCanceledException)
            {
                results[index] = new ItemOutcome(item.Name, TargetStatus.NotRun, TimeSpan.Zero, "cancelled before it started");
                return;
            }

            try
            {
                var itemLog = new ItemTargetLog(log, item.Name);
                var context = new TargetContext(spec.Name, item.Name, _options, itemLog, _runner, _outputs, siblings.Token);
                await item.Run(context);
                results[index] = new ItemOutcome(item.Name, TargetStatus.Succeeded, stopwatch.Elapsed, null);
            }
            catch (TargetSkippedException skipped)
            {
                results[index] = new ItemOutcome(item.Name, TargetStatus.Skipped, stopwatch.Elapsed, Redaction.Scrub(skipped.Message));
            }
            catch (OperationCanceledException) when (siblings.IsCancellationRequested)
            {
                results[index] = new ItemOutcome(item.Name, TargetStatus.Cancelled, stopwatch.Elapsed, "cancelled while running");
            }
#pragma warning disable CA1031 // An item's failure is recorded in its outcome and fails the target.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                results[index] = new ItemOutcome(item.Name, TargetStatus.Failed, stopwatch.Elapsed, Redaction.Scrub(ex.Message), ex);
                log.StandardError($"[{item.Name}] {Redaction.Scrub(ex.Message)}");
                if (!_options.ContinueOnFailure)
                {
                    await siblings.CancelAsync();
                }
            }
            finally
            {
                _slots.Release();
            }
        }

        if (_options.DryRun)
        {
            for (var i = 0; i < items.Length; i++)
            {
                await RunItem(i);
            }
        }
        else
        {
            await Task.WhenAll(Enumerable.Range(0, items.Length).Select(RunItem));
        }

        return [.. results];
    }

    private void CheckConsumed(TargetSpec spec)
    {
        foreach (var path in spec.Consumes)
        {
            var full = Path.Combine(_options.RootDirectory, path);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                var producer = _plan.Graph.ProducerOf(path);
                throw new InvalidOperationException(producer is null
                    ? $"{spec.Name} needs {path}, which does not exist."
                    : $"{spec.Name} needs {path}, which does not exist: it is produced by {producer}. Run {producer} first (or drop --exclusive / --skip {producer}).");
            }
        }
    }

    private void CheckProduced(TargetSpec spec)
    {
        var missing = spec.Produces.Where(p => !File.Exists(Path.Combine(_options.RootDirectory, p)) && !Directory.Exists(Path.Combine(_options.RootDirectory, p))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"{spec.Name} declares Produces({string.Join(", ", missing)}) but did not write {(missing.Count == 1 ? "it" : "them")}.");
        }
    }

    /// <summary>Prefixes an item's lines with its name, inside its target's output block.</summary>
    private sealed class ItemTargetLog(ITargetLog inner, string item) : ITargetLog
    {
        public void StandardOutput(string line) => inner.StandardOutput($"[{item}] {line}");

        public void StandardError(string line) => inner.StandardError($"[{item}] {line}");

        public void Command(ToolInvocation invocation, string prefix = "") => inner.Command(invocation, $"{prefix}[{item}] ");

        public void Effect(string description, string prefix = "") => inner.Effect(description, $"{prefix}[{item}] ");

        public void Warning(string line) => inner.Warning($"[{item}] {line}");
    }
}
