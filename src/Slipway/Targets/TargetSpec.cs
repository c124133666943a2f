using System.Collections.Immutable;

namespace Slipway.Targets;

/// <summary>The frozen, immutable definition of a target, as the planner and scheduler see it.</summary>
/// <param name="Name">The target's name.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Index">Declaration order; breaks ties in the execution order.</param>
/// <param name="Dependencies">Targets that must succeed first.</param>
/// <param name="After">Targets that, when planned, run first (ordering only).</param>
/// <param name="Before">Targets that, when planned, run after this one (ordering only).</param>
/// <param name="Triggers">Targets added to the plan after this one.</param>
/// <param name="Finally">Cleanup targets that run after this one whenever it started.</param>
/// <param name="Conditions">OnlyWhen conditions.</param>
/// <param name="Requirements">Parameters that must have a value.</param>
/// <param name="Produces">Artifact paths written.</param>
/// <param name="Consumes">Artifact paths read.</param>
/// <param name="Actions">The target's own work.</param>
/// <param name="ItemSources">ForEach item sources, read when the target starts.</param>
/// <param name="ItemsPosition">How many actions run before the items; the rest run after them.</param>
public sealed record TargetSpec(
    string Name,
    string? Description,
    int Index,
    ImmutableArray<string> Dependencies,
    ImmutableArray<string> After,
    ImmutableArray<string> Before,
    ImmutableArray<string> Triggers,
    ImmutableArray<string> Finally,
    ImmutableArray<TargetCondition> Conditions,
    ImmutableArray<string> Requirements,
    ImmutableArray<string> Produces,
    ImmutableArray<string> Consumes,
    ImmutableArray<TargetAction> Actions,
    ImmutableArray<Func<IEnumerable<TargetItem>>> ItemSources,
    int ItemsPosition)
{
    /// <summary>Configuration checks run before anything when the target is planned (<see cref="TargetDefinition.Validates"/>).</summary>
    public ImmutableArray<Func<Plan, IEnumerable<string>>> Validations { get; init; } = [];

    /// <summary>Marks for checks and generators (<see cref="TargetDefinition.WithTrait"/>).</summary>
    public ImmutableDictionary<string, string> Traits { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>When set and true at planning time, the target joins every plan (<see cref="TargetDefinition.AddedToEveryPlanWhen"/>).</summary>
    public Func<bool>? AddedToEveryPlanWhen { get; init; }

    /// <summary>A gate: every other planned target that it does not depend on waits for it (<see cref="TargetDefinition.RunsFirst"/>).</summary>
    public bool RunsFirst { get; init; }

    /// <summary>True when the target has <paramref name="trait"/>.</summary>
    public bool Has(string trait) => Traits.ContainsKey(trait);

    /// <summary>True when the target has ForEach items.</summary>
    public bool HasItems => !ItemSources.IsEmpty;

    /// <summary>True when the target has no work of its own (an aggregate of its dependencies).</summary>
    public bool IsEmpty => Actions.IsEmpty && !HasItems;

    /// <summary>Reads the ForEach items (for lazy sources, now).</summary>
    public ImmutableArray<TargetItem> ResolveItems() => [.. ItemSources.SelectMany(source => source())];
}
