using System.Collections.Frozen;

namespace Slipway.Targets;

/// <summary>Every target of a pipeline, frozen, in declaration order.</summary>
public sealed class TargetGraph
{
    internal TargetGraph(IReadOnlyList<TargetSpec> targets, string? defaultTarget)
    {
        Targets = targets;
        DefaultTarget = defaultTarget;
        ByName = targets.ToFrozenDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>All targets in declaration order.</summary>
    public IReadOnlyList<TargetSpec> Targets { get; }

    /// <summary>The default target's name, if any.</summary>
    public string? DefaultTarget { get; }

    /// <summary>Targets by name, case-insensitive.</summary>
    public FrozenDictionary<string, TargetSpec> ByName { get; }

    /// <summary>The target that declares <paramref name="path"/> in Produces, if any.</summary>
    public string? ProducerOf(string path) =>
        Targets.FirstOrDefault(t => t.Produces.Any(p => string.Equals(Normalize(p), Normalize(path), StringComparison.Ordinal)))?.Name;

    private static string Normalize(string path) => path.Replace('\\', '/').TrimStart('.', '/').TrimEnd('/');
}
