using System.Linq.Expressions;
using Slipway.Processes;

namespace Slipway.Targets;

/// <summary>
/// The fluent definition of one target. Each call adds to the definition and returns it; the pipeline
/// freezes it into an immutable <see cref="TargetSpec"/> before planning.
/// </summary>
public sealed class TargetDefinition
{
    private readonly List<TargetReference> _dependencies = [];
    private readonly List<TargetReference> _after = [];
    private readonly List<TargetReference> _before = [];
    private readonly List<TargetReference> _triggers = [];
    private readonly List<TargetReference> _finally = [];
    private readonly List<TargetCondition> _conditions = [];
    private readonly List<string> _requirements = [];
    private readonly List<string> _produces = [];
    private readonly List<string> _consumes = [];
    private readonly List<TargetAction> _actions = [];
    private readonly List<Func<IEnumerable<TargetItem>>> _itemSources = [];
    private int? _itemsPosition;

    internal TargetDefinition(string name)
    {
        Name = name;
    }

    /// <summary>The target's name (the member's name).</summary>
    public string Name { get; }

    internal string? Description { get; private set; }

    /// <summary>Describes the target in <c>--help</c> and the plan.</summary>
    public TargetDefinition Describe(string description)
    {
        Description = description;
        return this;
    }

    /// <summary>Runs <paramref name="targets"/> first; this target does not run if one of them fails.</summary>
    public TargetDefinition DependsOn(params Target[] targets) => Add(_dependencies, targets);

    /// <summary>Depends on targets by name, for generated graphs; prefer member references.</summary>
    public TargetDefinition DependsOn(params string[] targets) => Add(_dependencies, targets);

    /// <summary>When both are planned, runs after <paramref name="targets"/> (ordering only, no dependency).</summary>
    public TargetDefinition After(params Target[] targets) => Add(_after, targets);

    /// <summary>When both are planned, runs before <paramref name="targets"/> (ordering only, no dependency).</summary>
    public TargetDefinition Before(params Target[] targets) => Add(_before, targets);

    /// <summary>Adds <paramref name="targets"/> to the plan after this one succeeds.</summary>
    public TargetDefinition Triggers(params Target[] targets) => Add(_triggers, targets);

    /// <summary>
    /// Cleanup: <paramref name="targets"/> run after this target whenever it started — after success, after
    /// failure and after cancellation.
    /// </summary>
    public TargetDefinition Finally(params Target[] targets) => Add(_finally, targets);

    /// <summary>Runs only when <paramref name="condition"/> holds when the target is reached; otherwise skipped with <paramref name="reason"/>.</summary>
    public TargetDefinition OnlyWhen(Func<bool> condition, string reason)
    {
        ArgumentNullException.ThrowIfNull(condition);
        _conditions.Add(new TargetCondition(condition, reason));
        return this;
    }

    /// <summary>Requires a parameter to have a value; checked for every planned target before the first one runs.</summary>
    public TargetDefinition Requires(Expression<Func<object?>> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var body = parameter.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : parameter.Body;
        if (body is not MemberExpression member)
        {
            throw new ArgumentException($"Requires(...) in target '{Name}' takes a parameter member, like Requires(() => RegistryPassword).", nameof(parameter));
        }

        _requirements.Add(member.Member.Name);
        return this;
    }

    /// <summary>Declares files or directories this target writes (relative to the repository root).</summary>
    public TargetDefinition Produces(params string[] paths)
    {
        _produces.AddRange(paths);
        return this;
    }

    /// <summary>Declares files this target reads; a missing one fails the target before it runs, naming its producer.</summary>
    public TargetDefinition Consumes(params string[] paths)
    {
        _consumes.AddRange(paths);
        return this;
    }

    /// <summary>Adds work to the target. Effects go through the context, so a dry run can show them.</summary>
    public TargetDefinition Executes(Func<TargetContext, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _actions.Add(new TargetAction(action));
        return this;
    }

    /// <summary>Adds synchronous work to the target.</summary>
    public TargetDefinition Executes(Action<TargetContext> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Executes(context =>
        {
            action(context);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Per-item work (per service, per environment). Items run in parallel, between the actions declared
    /// before and after this call, and each appears in the plan and the summary as <c>Target › item</c>.
    /// </summary>
    public TargetDefinition ForEach<T>(IEnumerable<T> items, Func<T, TargetContext, Task> action, Func<T, string>? name = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        var fixedItems = items.ToList();
        return ForEach(() => fixedItems, action, name);
    }

    /// <summary>
    /// Per-item work over items known only when the target starts — services of the environment chosen
    /// with <c>--env</c>, say, which is loaded after planning.
    /// </summary>
    public TargetDefinition ForEach<T>(Func<IEnumerable<T>> items, Func<T, TargetContext, Task> action, Func<T, string>? name = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(action);
        _itemsPosition ??= _actions.Count;
        _itemSources.Add(() => items().Select(item => new TargetItem(name?.Invoke(item) ?? item?.ToString() ?? "(null)", context => action(item, context))));
        return this;
    }

    /// <summary>Synchronous per-item work.</summary>
    public TargetDefinition ForEach<T>(IEnumerable<T> items, Action<T, TargetContext> action, Func<T, string>? name = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return ForEach(items, (item, context) =>
        {
            action(item, context);
            return Task.CompletedTask;
        }, name);
    }

    internal TargetSpec Freeze(int index, Func<TargetReference, string> resolve) => new(
        Name,
        Description,
        index,
        [.. _dependencies.Select(resolve).Distinct(StringComparer.Ordinal)],
        [.. _after.Select(resolve).Distinct(StringComparer.Ordinal)],
        [.. _before.Select(resolve).Distinct(StringComparer.Ordinal)],
        [.. _triggers.Select(resolve).Distinct(StringComparer.Ordinal)],
        [.. _finally.Select(resolve).Distinct(StringComparer.Ordinal)],
        [.. _conditions],
        [.. _requirements.Distinct(StringComparer.Ordinal)],
        [.. _produces],
        [.. _consumes],
        [.. _actions],
        [.. _itemSources],
        _itemsPosition ?? _actions.Count);

    private TargetDefinition Add(List<TargetReference> list, Target[] targets)
    {
        foreach (var target in targets)
        {
            list.Add(new TargetReference(target, null));
        }

        return this;
    }

    private TargetDefinition Add(List<TargetReference> list, string[] names)
    {
        foreach (var name in names)
        {
            list.Add(new TargetReference(null, name));
        }

        return this;
    }
}

/// <summary>A reference to a target: a member delegate, or a name for generated graphs.</summary>
internal sealed record TargetReference(Target? Delegate, string? Name);

/// <summary>An OnlyWhen condition and the reason printed when it does not hold.</summary>
public sealed record TargetCondition(Func<bool> Condition, string Reason);

/// <summary>One block of a target's work.</summary>
public sealed record TargetAction(Func<TargetContext, Task> Run);

/// <summary>One ForEach item: its name and its work.</summary>
public sealed record TargetItem(string Name, Func<TargetContext, Task> Run);

/// <summary>A deferred value's convenience constructors for pipelines.</summary>
public static class Produced
{
    /// <summary>A value produced by <paramref name="producer"/>; see <see cref="Deferred"/>.</summary>
    public static Deferred By(string producer, string description) => new(description, producer);
}
