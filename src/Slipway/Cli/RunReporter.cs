using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>
/// Prints a run. Each target's output stays together: the first running target streams its lines
/// live; targets running beside it are buffered and printed whole when the streaming one finishes
/// (then the earliest still running takes over). No two targets' lines ever interleave, and a
/// GitHub Actions group wraps each block. At minimal and quiet verbosity only failed blocks print.
/// </summary>
internal sealed class RunReporter : IRunObserver, IRunOutputs
{
    private readonly ConsoleOutput _console;
    private readonly Verbosity _verbosity;
    private readonly GitHubActions? _github;
    private readonly bool _dryRun;
    private readonly object _gate = new();
    private readonly List<TargetBlock> _running = [];
    private readonly List<TargetBlock> _waiting = [];
    private readonly Dictionary<string, TargetBlock> _blocks = new(StringComparer.Ordinal);
    private TargetBlock? _owner;

    /// <summary>Creates a reporter.</summary>
    public RunReporter(ConsoleOutput console, Verbosity verbosity, GitHubActions? github, bool dryRun)
    {
        _console = console;
        _verbosity = verbosity;
        _github = github;
        _dryRun = dryRun;
    }

    /// <summary>How many commands and effects were printed (dry run) or run.</summary>
    public int CommandCount { get; private set; }

    private bool Streams => _verbosity >= Verbosity.Normal;

    /// <inheritdoc />
    public ITargetLog TargetStarted(PlannedTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var block = new TargetBlock(this, target.Name);
        lock (_gate)
        {
            _blocks[target.Name] = block;
            _running.Add(block);
            if (_owner is null && Streams)
            {
                _owner = block;
            }
        }

        if (_github is not null)
        {
            Emit(block, GitHubActions.Group(target.Name));
        }

        var header = $"── {target.Name} ──{(target.Reason == "requested" ? string.Empty : $" ({target.Reason})")}";
        Emit(block, header, $"[bold blue]──[/] [bold]{Spectre.Console.Markup.Escape(target.Name)}[/] [bold blue]──[/][grey]{Spectre.Console.Markup.Escape(target.Reason == "requested" ? string.Empty : $" ({target.Reason})")}[/]");
        return block;
    }

    /// <inheritdoc />
    public void TargetFinished(PlannedTarget target, TargetOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(outcome);
        TargetBlock block;
        lock (_gate)
        {
            if (!_blocks.TryGetValue(target.Name, out block!))
            {
                // Never started: a one-line block (skipped, or not run).
                block = new TargetBlock(this, target.Name);
                _blocks[target.Name] = block;
                _running.Add(block);
            }
        }

        Footer(block, outcome);
        lock (_gate)
        {
            _running.Remove(block);
            var print = Streams || outcome.Status == TargetStatus.Failed || (_verbosity == Verbosity.Minimal && !_dryRun);
            if (!print)
            {
                block.Lines.Clear();
                return;
            }

            if (_verbosity < Verbosity.Normal && outcome.Status != TargetStatus.Failed)
            {
                // Minimal: one line for a target that did not fail.
                block.Lines.RemoveAll(l => l.Kind != LineKind.Status);
            }

            if (_owner == block)
            {
                _owner = null;
                FlushWaiting();
            }
            else if (_owner is null)
            {
                Flush(block);
                FlushWaiting();
            }
            else
            {
                _waiting.Add(block);
            }
        }
    }

    /// <inheritdoc />
    public void SetOutput(string name, string value)
    {
        _github?.SetOutput(name, value);
        if (_verbosity >= Verbosity.Verbose)
        {
            _console.Line($"output {name}={Redaction.Scrub(value)}");
        }
    }

    /// <summary>Writes a line outside any target block (plan, masks, summary headers).</summary>
    public void Line(string text) => _console.Line(Redaction.Scrub(text));

    private void Footer(TargetBlock block, TargetOutcome outcome)
    {
        var reason = outcome.Reason is null ? string.Empty : $": {FirstLine(outcome.Reason)}";
        var duration = DurationText.Format(outcome.Duration);
        switch (outcome.Status)
        {
            case TargetStatus.Succeeded when _dryRun:
                if (block.Commands == 0)
                {
                    Emit(block, "(no commands)", "[grey](no commands)[/]");
                }

                break;
            case TargetStatus.Succeeded:
                Emit(block, $"✔ {outcome.Name} succeeded in {duration}", $"[green]✔[/] {Esc(outcome.Name)} succeeded in {duration}", LineKind.Status);
                break;
            case TargetStatus.Skipped:
                Emit(block, $"– {outcome.Name} skipped{reason}", $"[grey]– {Esc(outcome.Name)} skipped{Esc(reason)}[/]", LineKind.Status);
                break;
            case TargetStatus.NotRun:
                Emit(block, $"– {outcome.Name} not run{reason}", $"[grey]– {Esc(outcome.Name)} not run{Esc(reason)}[/]", LineKind.Status);
                break;
            case TargetStatus.Cancelled:
                Emit(block, $"✘ {outcome.Name} cancelled after {duration}", $"[yellow]✘ {Esc(outcome.Name)} cancelled after {duration}[/]", LineKind.Status);
                break;
            case TargetStatus.Failed:
                var message = Redaction.Scrub(outcome.Reason ?? "failed");
                foreach (var rawLine in message.Split('\n'))
                {
                    // A failure's message can quote a value read from a file: escaped, it cannot pose as a workflow command.
                    var line = PrintableText.Line(rawLine.TrimEnd('\r'));
                    Emit(block, line, $"[red]{Esc(line)}[/]");
                }

                if (_verbosity >= Verbosity.Diagnostic && outcome.Error is not null)
                {
                    foreach (var line in Redaction.Scrub(outcome.Error.ToString()).Split('\n'))
                    {
                        Emit(block, line.TrimEnd('\r'));
                    }
                }

                Emit(block, $"✘ {outcome.Name} failed after {duration}", $"[red]✘ {Esc(outcome.Name)} failed after {duration}[/]", LineKind.Status);
                break;
        }

        if (_github is not null && outcome.Started)
        {
            Emit(block, GitHubActions.EndGroup);
            if (outcome.Status == TargetStatus.Failed)
            {
                Emit(block, GitHubActions.Error($"{outcome.Name} failed", outcome.Reason ?? "failed"));
            }
        }
    }

    private void Emit(TargetBlock block, string plain, string? markup = null, LineKind kind = LineKind.Output)
    {
        plain = Redaction.Scrub(plain);
        lock (_gate)
        {
            if (block == _owner)
            {
                Write(plain, markup);
            }
            else
            {
                block.Lines.Add((plain, markup, kind));
            }
        }
    }

    private void Write(string plain, string? markup)
    {
        if (markup is null)
        {
            _console.Line(plain);
        }
        else
        {
            _console.Markup(markup, plain);
        }
    }

    private void Flush(TargetBlock block)
    {
        foreach (var (plain, markup, _) in block.Lines)
        {
            Write(plain, markup);
        }

        block.Lines.Clear();
    }

    private void FlushWaiting()
    {
        foreach (var waiting in _waiting)
        {
            Flush(waiting);
        }

        _waiting.Clear();
        if (Streams && _running.Count > 0)
        {
            _owner = _running[0];
            Flush(_owner);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    private static string Esc(string text) => Spectre.Console.Markup.Escape(Redaction.Scrub(text));

    private enum LineKind
    {
        Output,
        Status,
    }

    private sealed class TargetBlock(RunReporter reporter, string name) : ITargetLog
    {
        public string Name { get; } = name;

        public List<(string Plain, string? Markup, LineKind Kind)> Lines { get; } = [];

        public int Commands { get; private set; }

        public void StandardOutput(string line) => reporter.Emit(this, line);

        public void StandardError(string line) => reporter.Emit(this, line, $"[red]{Esc(line)}[/]");

        public void Warning(string line)
        {
            reporter.Emit(this, "warning: " + line, $"[yellow]warning:[/] {Esc(line)}");
            if (reporter._github is not null)
            {
                reporter.Emit(this, GitHubActions.Warning(line));
            }
        }

        public void Command(ToolInvocation invocation, string prefix = "")
        {
            Commands++;
            reporter.CommandCount++;
            var text = prefix + "$ " + invocation.ToDisplayString(includeEnvironment: reporter._dryRun || reporter._verbosity >= Verbosity.Verbose);
            reporter.Emit(this, text, $"[grey]{Esc(text)}[/]");
        }

        public void Effect(string description, string prefix = "")
        {
            Commands++;
            reporter.CommandCount++;
            var text = prefix + "» " + description;
            reporter.Emit(this, text, $"[grey]{Esc(text)}[/]");
        }
    }
}
