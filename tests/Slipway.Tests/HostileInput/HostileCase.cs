using Slipway.Processes;

namespace Slipway.Tests.HostileInput;

/// <summary>
/// One hostile input, run through the whole CLI of this repository's pipeline: what to set up in a fresh
/// <see cref="HostileWorkspace"/>, the command line, the exit code, and what the output must (and must not) say.
/// </summary>
/// <param name="Name">A short name, shown by the test runner.</param>
/// <param name="Args">The command line.</param>
/// <param name="Exit">The exit code: 2 for a refused input, 1 for a target that failed on one, 0 for an accepted one.</param>
public sealed record HostileCase(string Name, string[] Args, int Exit)
{
    /// <summary>Writes the hostile input into the workspace.</summary>
    public Action<HostileWorkspace> Arrange { get; init; } = _ => { };

    /// <summary>Text the output (stdout and stderr) must contain, usually <c>file:line:column: key: message</c>.</summary>
    public Func<HostileWorkspace, IEnumerable<string>> Expected { get; init; } = _ => [];

    /// <summary>Text that must not appear anywhere in the output (the content of a file that was refused, say).</summary>
    public IReadOnlyList<string> Absent { get; init; } = [];

    /// <summary>Environment variables of the run.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Scripts the recording runner (what git answers, say).</summary>
    public Action<RecordingToolRunner> Script { get; init; } = _ => { };

    public override string ToString() => Name;
}
