namespace Slipway.Cli;

/// <summary>How much a run prints, as in Cake.</summary>
internal enum Verbosity
{
    /// <summary>Failures only (their output, the error and the summary).</summary>
    Quiet,

    /// <summary>One line per target, failures in full, and the summary.</summary>
    Minimal,

    /// <summary>Every target's output and commands, and the summary.</summary>
    Normal,

    /// <summary>Also the plan, environment variables of each command, and outputs.</summary>
    Verbose,

    /// <summary>Also stack traces of failures.</summary>
    Diagnostic,
}

/// <summary>Exit codes, as in Bullseye and most CLIs.</summary>
public static class ExitCodes
{
    /// <summary>Every target succeeded (or was skipped on purpose).</summary>
    public const int Success = 0;

    /// <summary>A target failed.</summary>
    public const int TargetFailed = 1;

    /// <summary>Bad usage or configuration (nothing ran), or every failed target refused an input an earlier run or a person wrote (<see cref="Processes.IRefusedInput"/>).</summary>
    public const int UsageError = 2;

    /// <summary>Cancelled by Ctrl-C or SIGTERM.</summary>
    public const int Cancelled = 130;
}
