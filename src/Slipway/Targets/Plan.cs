using System.Collections.Immutable;

namespace Slipway.Targets;

/// <summary>What the user asked to run.</summary>
/// <param name="Targets">Requested targets; empty means the default target.</param>
/// <param name="Skip">Targets to skip (kept in the plan, marked skipped).</param>
/// <param name="Exclusive">Run only the requested targets, not their dependencies.</param>
internal sealed record PlanRequest(IReadOnlyList<string> Targets, IReadOnlyList<string> Skip, bool Exclusive)
{
    /// <summary>A request for <paramref name="targets"/> with no skips.</summary>
    public static PlanRequest For(params string[] targets) => new(targets, [], false);
}

/// <summary>One target in the plan.</summary>
/// <param name="Spec">The target.</param>
/// <param name="Order">Its position in the execution order.</param>
/// <param name="WaitFor">Planned targets that must finish before it starts (dependencies and ordering).</param>
/// <param name="MustSucceed">Planned targets whose failure means this one does not run.</param>
/// <param name="FinallyOf">For a cleanup target, the targets it cleans up after.</param>
/// <param name="Reason">Why it is in the plan: requested, a dependency, triggered, cleanup.</param>
/// <param name="SkipReason">Why it will be skipped (<c>--skip</c>), if it will.</param>
public sealed record PlannedTarget(
    TargetSpec Spec,
    int Order,
    ImmutableArray<string> WaitFor,
    ImmutableArray<string> MustSucceed,
    ImmutableArray<string> FinallyOf,
    string Reason,
    string? SkipReason)
{
    /// <summary>The target's name.</summary>
    public string Name => Spec.Name;

    /// <summary>True for a cleanup target that runs even after failure or cancellation.</summary>
    public bool IsFinally => !FinallyOf.IsEmpty;
}

/// <summary>An ordered, checked plan: every target that will be considered, in execution order.</summary>
public sealed record Plan(TargetGraph Graph, ImmutableArray<PlannedTarget> Targets, ImmutableArray<string> Requested);

/// <summary>The planner's answer: a plan, or every error found.</summary>
internal sealed record PlanResult(Plan? Plan, ImmutableArray<string> Errors)
{
    /// <summary>True when the plan can run.</summary>
    public bool Succeeded => Plan is not null && Errors.IsEmpty;
}
