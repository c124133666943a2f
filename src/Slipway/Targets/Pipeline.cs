using System.Reflection;

namespace Slipway.Targets;

/// <summary>
/// The base of a typed pipeline. Public properties of type <see cref="Target"/> are its targets;
/// properties marked <see cref="ParameterAttribute"/> or <see cref="SecretAttribute"/> are its parameters.
/// </summary>
public abstract class Pipeline
{
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
    /// Called once the plan is known and before anything runs: load and check the configuration the
    /// planned targets need (an environment file, say). Return every error found; they are printed
    /// together and the run exits 2 with no side effect. Not called for <c>--help</c> or <c>--tree</c>.
    /// </summary>
    public virtual IReadOnlyList<string> Validate(Plan plan) => [];

    /// <summary>
    /// Targets added to every plan, in front of the requested ones — e.g. <c>Provision</c> when
    /// <c>--provision</c> is given. Targets that need them order themselves with <c>After(...)</c>.
    /// </summary>
    public virtual IEnumerable<string> AdditionalTargets => [];

    /// <summary>Directories (relative to the root) searched for tools after PATH, e.g. provisioned tools.</summary>
    public virtual IEnumerable<string> ToolDirectories => [];

    /// <summary>Adds targets that are not members, for generated graphs (one per service, say).</summary>
    protected virtual void DefineTargets(TargetRegistry targets)
    {
    }

    internal static IReadOnlyList<ParameterDescriptor> DiscoverParameters(Type pipelineType) =>
        [.. pipelineType
            .GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<ParameterAttribute>(inherit: true)))
            .Where(p => p.Attribute is not null)
            .Select(p => new ParameterDescriptor(p.Property, p.Attribute!))];

    /// <summary>The pipeline's targets and how they relate, for generators (CI workflows, documentation).</summary>
    public TargetGraph DescribeTargets() => BuildGraph();

    internal TargetGraph BuildGraph()
    {
        var registry = new TargetRegistry();
        foreach (var property in GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.PropertyType == typeof(Target) && property.GetIndexParameters().Length == 0)
            {
                registry.Add(property.Name, (Target)property.GetValue(this)!);
            }
        }

        DefineTargets(registry);
        var defaultTarget = DefaultTarget;
        return registry.Freeze(defaultTarget);
    }
}

/// <summary>Collects targets, member and generated, and resolves references between them.</summary>
public sealed class TargetRegistry
{
    private readonly List<(string Name, Target Target)> _targets = [];
    private readonly Dictionary<Target, string> _byInstance = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<MethodInfo, string?> _byMethod = [];
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

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

    private string Resolve(TargetReference reference)
    {
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
