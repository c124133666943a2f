using System.Collections.Concurrent;
using Slipway.Targets;
using Spectre.Console;

namespace Slipway.Cli;

/// <summary>
/// On a terminal: a live Spectre progress display of the running targets (spinner, name, elapsed time)
/// and an overall count, drawn below the output. Target output written meanwhile goes through the same
/// Spectre console, which prints it above the display. Forwards every event to the reporter.
/// </summary>
internal sealed class LiveProgress : IRunObserver, IAsyncDisposable
{
    private readonly IRunObserver _inner;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private Task _display = Task.CompletedTask;
    private ProgressContext? _context;
    private ProgressTask? _overall;

    private LiveProgress(IRunObserver inner)
    {
        _inner = inner;
    }

    /// <summary>Starts the display for a run of <paramref name="total"/> targets.</summary>
    public static async Task<LiveProgress> StartAsync(IAnsiConsole console, IRunObserver inner, int total)
    {
        ArgumentNullException.ThrowIfNull(console);
        var progress = new LiveProgress(inner);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        progress._display = console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                progress._context = context;
                progress._overall = context.AddTask($"[bold]0/{total} targets done[/]", maxValue: total);
                ready.SetResult();
                await progress._finished.Task;
            });
        await ready.Task;
        return progress;
    }

    /// <inheritdoc />
    public ITargetLog TargetStarted(PlannedTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _tasks[target.Name] = _context!.AddTask(Markup.Escape(target.Name)).IsIndeterminate();
        return _inner.TargetStarted(target);
    }

    /// <inheritdoc />
    public void TargetFinished(PlannedTarget target, TargetOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_tasks.TryRemove(target.Name, out var task))
        {
            task.IsIndeterminate(false).Value(task.MaxValue).StopTask();
        }

        if (_overall is not null)
        {
            _overall.Increment(1);
            _overall.Description = $"[bold]{(int)_overall.Value}/{(int)_overall.MaxValue} targets done[/]";
        }

        _inner.TargetFinished(target, outcome);
    }

    /// <summary>Removes the display.</summary>
    public async ValueTask DisposeAsync()
    {
        _finished.TrySetResult();
        await _display;
    }
}
