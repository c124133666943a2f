using System.Collections.Immutable;

namespace Slipway.Targets;

/// <summary>How a target (or an item) ended.</summary>
internal enum TargetStatus
{
    /// <summary>Ran and succeeded.</summary>
    Succeeded,

    /// <summary>Ran and failed.</summary>
    Failed,

    /// <summary>Was stopped while running.</summary>
    Cancelled,

    /// <summary>Not run on purpose: <c>--skip</c> or an OnlyWhen condition; the reason says which.</summary>
    Skipped,

    /// <summary>Never started: a dependency failed, or the run stopped first.</summary>
    NotRun,
}

/// <summary>The outcome of a ForEach item.</summary>
internal sealed record ItemOutcome(string Name, TargetStatus Status, TimeSpan Duration, string? Reason, Exception? Error = null);

/// <summary>The outcome of one planned target.</summary>
/// <param name="Name">The target.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Reason">Why it was skipped, not run, cancelled or failed (one line, scrubbed).</param>
/// <param name="Error">The failure, for <c>--verbosity diagnostic</c>.</param>
/// <param name="Items">Per-item outcomes for ForEach targets.</param>
internal sealed record TargetOutcome(string Name, TargetStatus Status, TimeSpan Duration, string? Reason, Exception? Error, ImmutableArray<ItemOutcome> Items)
{
    /// <summary>True when the target started running.</summary>
    public bool Started => Status is TargetStatus.Succeeded or TargetStatus.Failed or TargetStatus.Cancelled;

    internal static TargetOutcome Without(string name, TargetStatus status, string reason) => new(name, status, TimeSpan.Zero, reason, null, []);
}

/// <summary>Everything that happened in a run, in plan order.</summary>
internal sealed record RunReport(ImmutableArray<TargetOutcome> Outcomes, bool Cancelled, TimeSpan Duration)
{
    /// <summary>True when every target succeeded or was skipped on purpose.</summary>
    public bool Succeeded => !Cancelled && Outcomes.All(o => o.Status is TargetStatus.Succeeded or TargetStatus.Skipped);
}
