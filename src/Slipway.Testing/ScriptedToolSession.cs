using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Testing;

/// <summary>What a <see cref="ScriptedToolSession"/> saw, in order.</summary>
public enum SessionEventKind
{
    /// <summary>A tool that may change something (<see cref="IToolSession.RunAsync"/>).</summary>
    Run,

    /// <summary>A read-only query (<see cref="IToolSession.QueryAsync"/>).</summary>
    Query,

    /// <summary>An in-process effect (<see cref="IToolSession.DoAsync"/>).</summary>
    Effect,

    /// <summary>Something the test marked (<see cref="ScriptedToolSession.Mark"/>).</summary>
    Mark,

    /// <summary>An informational line.</summary>
    Info,

    /// <summary>A warning.</summary>
    Warning,
}

/// <summary>One thing a <see cref="ScriptedToolSession"/> saw: a tool (with its invocation), an effect, a mark or a message.</summary>
/// <param name="Kind">What it was.</param>
/// <param name="Text">The invocation's display string (without its environment), the effect's description, or the line.</param>
/// <param name="Invocation">The invocation, for runs and queries.</param>
public sealed record SessionEvent(SessionEventKind Kind, string Text, ToolInvocation? Invocation = null)
{
    /// <summary>"run: docker ...", for assertion messages.</summary>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}: {Text}";
}

/// <summary>
/// A fake <see cref="IToolSession"/> for code that composes tools. It records every run, query and in-process effect
/// in order, by display string, and answers an invocation from the last rule whose pattern matches its display string
/// without the environment (stdin shows as <c>&lt;&lt;&lt; 'text'</c>). Unmatched invocations succeed with no output.
/// As with the real runner, an exit code the invocation does not accept throws <see cref="ToolFailedException"/>; in a
/// dry run, runs are recorded and answered with <see cref="ToolResult.DryRun"/> while queries are still answered.
/// </summary>
public sealed class ScriptedToolSession : IToolSession
{
    private readonly Lock _gate = new();
    private readonly List<(Regex Pattern, Func<ToolInvocation, Match, ToolResult> Respond)> _rules = [];
    private readonly List<SessionEvent> _events = [];

    /// <inheritdoc />
    public bool IsDryRun { get; init; }

    /// <inheritdoc />
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Everything seen so far, in order.</summary>
    public IReadOnlyList<SessionEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The invocations run (not queried), in order.</summary>
    public IReadOnlyList<ToolInvocation> Runs => [.. Events.Where(e => e.Kind == SessionEventKind.Run).Select(e => e.Invocation!)];

    /// <summary>The invocations run or queried, in order.</summary>
    public IReadOnlyList<ToolInvocation> Invocations => [.. Events.Where(e => e.Invocation is not null).Select(e => e.Invocation!)];

    /// <summary>Info and warning lines, in order.</summary>
    public IReadOnlyList<string> Messages => [.. Events.Where(e => e.Kind is SessionEventKind.Info or SessionEventKind.Warning).Select(e => e.Text)];

    /// <summary>Answers invocations whose display string matches <paramref name="pattern"/>; later rules win.</summary>
    public ScriptedToolSession On(string pattern, Func<ToolInvocation, Match, ToolResult> respond)
    {
        lock (_gate)
        {
            _rules.Add((new Regex(pattern, RegexOptions.CultureInvariant), respond));
        }

        return this;
    }

    /// <summary>Answers invocations whose display string matches <paramref name="pattern"/> with a fixed result.</summary>
    public ScriptedToolSession On(string pattern, int exitCode, string stdout = "", string stderr = "") =>
        On(pattern, (_, _) => Result(exitCode, stdout, stderr));

    /// <summary>Records something that is not a tool, such as a delegate the code under test called.</summary>
    public void Mark(string what) => Record(new SessionEvent(SessionEventKind.Mark, what));

    /// <summary>A result with <paramref name="exitCode"/> and the given output.</summary>
    public static ToolResult Result(int exitCode = 0, string stdout = "", string stderr = "") => new(exitCode, stdout, stderr, TimeSpan.Zero);

    /// <inheritdoc />
    public Task<ToolResult> RunAsync(ToolInvocation invocation, bool echoOutput = true)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        Record(new SessionEvent(SessionEventKind.Run, invocation.ToDisplayString(includeEnvironment: false), invocation));
        return Task.FromResult(IsDryRun ? ToolResult.DryRun : Answer(invocation));
    }

    /// <inheritdoc />
    public Task<ToolResult> QueryAsync(ToolInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        Record(new SessionEvent(SessionEventKind.Query, invocation.ToDisplayString(includeEnvironment: false), invocation));
        return Task.FromResult(Answer(invocation));
    }

    /// <inheritdoc />
    public async Task DoAsync(string description, Func<CancellationToken, Task> effect)
    {
        ArgumentNullException.ThrowIfNull(effect);
        Record(new SessionEvent(SessionEventKind.Effect, description));
        if (!IsDryRun)
        {
            await effect(CancellationToken);
        }
    }

    /// <inheritdoc />
    public void Info(string message) => Record(new SessionEvent(SessionEventKind.Info, message));

    /// <inheritdoc />
    public void Warning(string message) => Record(new SessionEvent(SessionEventKind.Warning, message));

    private ToolResult Answer(ToolInvocation invocation)
    {
        CancellationToken.ThrowIfCancellationRequested();
        var display = invocation.ToDisplayString(includeEnvironment: false);
        Func<ToolResult>? answer = null;
        lock (_gate)
        {
            for (var i = _rules.Count - 1; i >= 0 && answer is null; i--)
            {
                var (pattern, respond) = _rules[i];
                if (pattern.Match(display) is { Success: true } match)
                {
                    answer = () => respond(invocation, match);
                }
            }
        }

        var result = answer?.Invoke() ?? Result();
        return invocation.SuccessExitCodes.Contains(result.ExitCode) ? result : throw new ToolFailedException(invocation, result);
    }

    private void Record(SessionEvent e)
    {
        lock (_gate)
        {
            _events.Add(e);
        }
    }
}
