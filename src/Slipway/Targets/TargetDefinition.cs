using System.Collections.Immutable;
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
    private readonly List<Func<Plan, IEnumerable<string>>> _validations = [];
    private readonly Dictionary<string, string> _traits = new(StringComparer.Ordinal);
    private Func<bool>? _addedToEveryPlanWhen;
    private bool _runsFirst;
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

    /// <summary>
    /// Runs a target of another component first: <c>DependsOn&lt;IBuildImages&gt;(x =&gt; x.Publish)</c>. Rename-safe, and
    /// the class's own member of that name when it overrides the component's. A pipeline that does not implement
    /// <typeparamref name="TComponent"/> is an error before anything runs; see <see cref="TryDependsOn{TComponent}"/>.
    /// </summary>
    public TargetDefinition DependsOn<TComponent>(Expression<Func<TComponent, Target>> target)
        where TComponent : IPipeline => Add(_dependencies, target, optional: false);

    /// <summary>As <see cref="DependsOn{TComponent}"/>, when the pipeline implements <typeparamref name="TComponent"/>; else nothing.</summary>
    public TargetDefinition TryDependsOn<TComponent>(Expression<Func<TComponent, Target>> target)
        where TComponent : IPipeline => Add(_dependencies, target, optional: true);

    /// <summary>When both are planned, runs after <paramref name="targets"/> (ordering only, no dependency).</summary>
    public TargetDefinition After(params Target[] targets) => Add(_after, targets);

    /// <summary>When the pipeline implements <typeparamref name="TComponent"/> and its target is planned, runs after it (ordering only).</summary>
    public TargetDefinition After<TComponent>(Expression<Func<TComponent, Target>> target)
        where TComponent : IPipeline => Add(_after, target, optional: true);

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

    /// <summary>
    /// A configuration check, run for every planned target before the first one runs (with <c>--dry-run</c> too, not
    /// with <c>--help</c> or <c>--tree</c>): it returns every problem it finds, each a complete sentence naming the file,
    /// key and fix. Any problem exits 2 with nothing run. Several targets may share one check; a message is printed once.
    /// </summary>
    public TargetDefinition Validates(Func<Plan, IEnumerable<string>> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        _validations.Add(check);
        return this;
    }

    /// <summary>
    /// Marks the target with <paramref name="trait"/> (and a value), for checks and generators that treat targets by kind:
    /// "works on the environment", "implies the environment dev", "builds one service at a time".
    /// </summary>
    public TargetDefinition WithTrait(string trait, string value = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trait);
        ArgumentNullException.ThrowIfNull(value);
        _traits[trait] = value;
        return this;
    }

    /// <summary>
    /// Adds this target to every plan, in front of the requested ones, when <paramref name="condition"/> holds at
    /// planning time: <c>Provision</c> with <c>--provision</c>, say. Targets that need it order themselves with <c>After</c>.
    /// </summary>
    public TargetDefinition AddedToEveryPlanWhen(Func<bool> condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        _addedToEveryPlanWhen = condition;
        return this;
    }

    /// <summary>
    /// Makes the target a gate: when it is planned, every other planned target that it does not itself depend on runs
    /// after it, so a refusal (a dirty tree, a ref that may not deploy) comes before any other command runs. A failed
    /// gate stops the run as any first failure does.
    /// </summary>
    public TargetDefinition RunsFirst()
    {
        _runsFirst = true;
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

    internal TargetSpec Freeze(int index, Func<TargetReference, string?> resolve) => new(
        Name,
        Description,
        index,
        Resolved(_dependencies, resolve),
        Resolved(_after, resolve),
        Resolved(_before, resolve),
        Resolved(_triggers, resolve),
        Resolved(_finally, resolve),
        [.. _conditions],
        [.. _requirements.Distinct(StringComparer.Ordinal)],
        [.. _produces],
        [.. _consumes],
        [.. _actions],
        [.. _itemSources],
        _itemsPosition ?? _actions.Count)
    {
        Validations = [.. _validations],
        Traits = _traits.ToImmutableDictionary(StringComparer.Ordinal),
        AddedToEveryPlanWhen = _addedToEveryPlanWhen,
        RunsFirst = _runsFirst,
    };

    private static ImmutableArray<string> Resolved(List<TargetReference> references, Func<TargetReference, string?> resolve) =>
        [.. references.Select(resolve).OfType<string>().Distinct(StringComparer.Ordinal)];

    private TargetDefinition Add<TComponent>(List<TargetReference> list, Expression<Func<TComponent, Target>> target, bool optional)
    {
        ArgumentNullException.ThrowIfNull(target);
        var body = target.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : target.Body;
        if (body is not MemberExpression { Member.Name: var name })
        {
            throw new ArgumentException($"Target '{Name}': a component target is referred to as x => x.Name, like DependsOn<IBuildImages>(x => x.Publish).", nameof(target));
        }

        list.Add(new TargetReference(null, name) { Component = typeof(TComponent), Optional = optional });
        return this;
    }

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

/// <summary>A reference to a target: a member delegate, a name for generated graphs, or a component's target by name.</summary>
internal sealed record TargetReference(Target? Delegate, string? Name)
{
    /// <summary>For a typed reference into a component, the component.</summary>
    public Type? Component { get; init; }

    /// <summary>True when a pipeline without <see cref="Component"/> simply has no such reference.</summary>
    public bool Optional { get; init; }
}

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
