using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace Slipway.Targets;

/// <summary>
/// The base of a typed pipeline. Its targets are its public properties of type <see cref="Target"/> and the targets of
/// the components (interfaces extending <see cref="IPipeline"/>) it implements; a member of the class wins over a
/// component's target of the same name. Properties marked <see cref="ParameterAttribute"/> or
/// <see cref="SecretAttribute"/>, on the class or on its components, are its parameters.
/// </summary>
public abstract class Pipeline : IPipeline
{
    /// <summary>Where Slipway keeps its state in a repository (the compiled host, provisioned tools, ledgers); git-ignored.</summary>
    public const string StateDirectoryName = ".slipway";

    private readonly ConcurrentDictionary<string, object?> _parameterValues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, object> _shared = new();

    /// <summary>The target run when no <c>--target</c> is given; null means <c>--help</c> is shown.</summary>
    protected virtual Target? DefaultTarget => null;

    /// <summary>The repository root; targets resolve relative paths against it.</summary>
    public string RootDirectory { get; internal set; } = Directory.GetCurrentDirectory();

    /// <summary>The process environment variables (for interpolation and <c>env:</c> secrets).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; internal set; } = new Dictionary<string, string>();

    /// <summary>Cancelled by Ctrl-C or SIGTERM: pass it to long work in <see cref="Validate"/>, such as loading configuration.</summary>
    public CancellationToken Cancellation { get; internal set; }

    /// <summary>A name for <c>--help</c> and <c>--version</c>.</summary>
    public virtual string Title => GetType().Name;

    /// <summary>
    /// Called once the plan is known and before anything runs, after the checks the planned targets declare with
    /// <see cref="TargetDefinition.Validates"/>: load and check configuration the class itself needs. Return every error
    /// found; they are printed together and the run exits 2 with no side effect. Not called for <c>--help</c> or <c>--tree</c>.
    /// </summary>
    public virtual IReadOnlyList<string> Validate(Plan plan) => [];

    /// <summary>
    /// Targets added to every plan, in front of the requested ones. A component's target does the same with
    /// <see cref="TargetDefinition.AddedToEveryPlanWhen"/> (<c>--provision</c> adds <c>Provision</c>, say).
    /// </summary>
    public virtual IEnumerable<string> AdditionalTargets => [];

    /// <summary>Directories (relative to the root) searched for tools after PATH: by default the provisioned tools.</summary>
    public virtual IEnumerable<string> ToolDirectories => [Path.Combine(StateDirectoryName, "tools", "bin")];

    /// <inheritdoc />
    public T? TryGetValue<T>(Expression<Func<T>> parameter) => TryGetValue(parameter, default(T)!);

    /// <inheritdoc />
    public T TryGetValue<T>(Expression<Func<T>> parameter, T fallback)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var name = MemberName(parameter.Body)
            ?? throw new ArgumentException("TryGetValue takes the parameter member itself, like TryGetValue(() => Env).", nameof(parameter));
        return _parameterValues.TryGetValue(name, out var value) && value is not null ? (T)value : fallback;
    }

    /// <inheritdoc />
    public T RunState<T>(Func<T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        return (T)_shared.GetOrAdd(typeof(T), _ => create());
    }

    /// <summary>Adds targets that are not members, for generated graphs (one per service, say).</summary>
    protected virtual void DefineTargets(TargetRegistry targets)
    {
    }

    /// <summary>
    /// The parameters of <paramref name="pipelineType"/>: its own, then those of its components that it does not
    /// declare itself (a member of the class with the same name decides, with or without the attribute).
    /// </summary>
    internal static IReadOnlyList<ParameterDescriptor> DiscoverParameters(Type pipelineType)
    {
        var own = pipelineType.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        var ownNames = own.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var components = ComponentsOf(pipelineType)
            .SelectMany(c => c.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
            .Where(p => !ownNames.Contains(p.Name));
        return [.. own.Concat(components)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<ParameterAttribute>(inherit: true)))
            .Where(p => p.Attribute is not null)
            .DistinctBy(p => p.Property.Name, StringComparer.Ordinal)
            .Select(p => new ParameterDescriptor(p.Property, p.Attribute!))];
    }

    /// <summary>Sets a parameter that has no setter of its own (a component's): <see cref="TryGetValue{T}(Expression{Func{T}})"/> reads it.</summary>
    internal void SetParameterValue(string name, object? value) => _parameterValues[name] = value;

    /// <summary>The pipeline's targets and how they relate, for generators (CI workflows, documentation).</summary>
    public TargetGraph DescribeTargets() => BuildGraph();

    internal TargetGraph BuildGraph()
    {
        var registry = new TargetRegistry(GetType());
        var own = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (IsTarget(property))
            {
                registry.Add(property.Name, (Target)property.GetValue(this)!);
                own.Add(property.Name);
            }
        }

        // A component's target, unless the class declares one of that name; two components may not both define one
        // the class leaves open, since neither is more right than the other.
        var fromComponents = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var property in ComponentsOf(GetType()).SelectMany(c => c.GetProperties(BindingFlags.Public | BindingFlags.Instance)).Where(IsTarget))
        {
            if (own.Contains(property.Name))
            {
                continue;
            }

            var target = (Target)property.GetValue(this)!;
            if (fromComponents.TryGetValue(property.Name, out var first))
            {
                // The class may have pointed one at the other (Target IA.X => ((IB)this).X;): then they are one target.
                if (((Target)first.GetValue(this)!).Method == target.Method)
                {
                    continue;
                }

                var (a, b) = (first.DeclaringType!.Name, property.DeclaringType!.Name);
                throw new InvalidOperationException(
                    $"Target '{property.Name}' is defined by both {a} and {b}: declare {property.Name} in {GetType().Name} to decide, " +
                    $"either your own (public Target {property.Name} => _ => _...) or one of theirs (Target {a}.{property.Name} => (({b})this).{property.Name};).");
            }

            fromComponents[property.Name] = property;
            registry.Add(property.Name, target);
        }

        DefineTargets(registry);
        var defaultTarget = DefaultTarget;
        return registry.Freeze(defaultTarget);
    }

    /// <summary>
    /// Every component <paramref name="pipelineType"/> implements, each one after the components it extends (so their
    /// targets and parameters come in a readable order: the matrix before the builds, the builds before the deploys).
    /// </summary>
    internal static IReadOnlyList<Type> ComponentsOf(Type pipelineType)
    {
        var all = pipelineType.GetInterfaces().Where(i => i != typeof(IPipeline) && typeof(IPipeline).IsAssignableFrom(i)).ToList();
        var ordered = new List<Type>(all.Count);
        void Visit(Type component)
        {
            if (ordered.Contains(component))
            {
                return;
            }

            foreach (var parent in component.GetInterfaces().Where(all.Contains))
            {
                Visit(parent);
            }

            ordered.Add(component);
        }

        foreach (var component in all)
        {
            Visit(component);
        }

        return ordered;
    }

    private static bool IsTarget(PropertyInfo property) =>
        property.PropertyType == typeof(Target) && property.GetIndexParameters().Length == 0;

    private static string? MemberName(Expression body) =>
        (body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : body) is MemberExpression member
            ? member.Member.Name
            : null;
}

/// <summary>Collects targets, member and generated, and resolves references between them.</summary>
public sealed class TargetRegistry
{
    private readonly Type _pipelineType;
    private readonly List<(string Name, Target Target)> _targets = [];
    private readonly Dictionary<Target, string> _byInstance = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<MethodInfo, string?> _byMethod = [];
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    internal TargetRegistry(Type pipelineType)
    {
        _pipelineType = pipelineType;
    }

    /// <summary>Adds a target under <paramref name="name"/>.</summary>
    public void Add(string name, Target target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(target);

        // Target names are typed on command lines and written into workflow files as job names: an identifier, as
        // a member's name is (a letter, then letters, digits, '_' or '-', at most 100).
        if (name.Length > 100 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"Target name '{name}' is not valid: use a letter, then letters, digits, '_' or '-' (at most 100).", nameof(name));
        }

        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"Target '{name}' is defined twice.");
        }

        _targets.Add((name, target));
        _byInstance[target] = name;

        // A member's getter returns a new delegate on every call but always for the same lambda, so
        // member references resolve by method; generated targets share one lambda and resolve by instance.
        _byMethod[target.Method] = _byMethod.ContainsKey(target.Method) ? null : name;
    }

    internal TargetGraph Freeze(Target? defaultTarget)
    {
        var specs = new List<TargetSpec>(_targets.Count);
        for (var i = 0; i < _targets.Count; i++)
        {
            var (name, target) = _targets[i];
            var definition = target(new TargetDefinition(name));
            specs.Add(definition.Freeze(i, Resolve));
        }

        return new TargetGraph(specs, defaultTarget is null ? null : Resolve(new TargetReference(defaultTarget, null)));
    }

    private string? Resolve(TargetReference reference)
    {
        if (reference.Component is { } component)
        {
            // A typed reference into a component, DependsOn<IPublish>(x => x.Publish): by name, so a class that
            // overrides the target is the one depended on.
            return component.IsAssignableFrom(_pipelineType) ? reference.Name
                : reference.Optional ? null
                : $"<{component.Name}.{reference.Name}: {_pipelineType.Name} does not implement {component.Name}>";
        }

        if (reference.Name is not null)
        {
            return reference.Name;
        }

        var target = reference.Delegate!;
        if (_byInstance.TryGetValue(target, out var byInstance))
        {
            return byInstance;
        }

        if (_byMethod.TryGetValue(target.Method, out var byMethod) && byMethod is not null)
        {
            return byMethod;
        }

        // Not a public Target member: the planner reports it as a missing dependency.
        return $"<{target.Method.Name}: not a public Target member>";
    }
}
