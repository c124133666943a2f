using System.Collections.Frozen;

namespace Slipway.Environments;

/// <summary>Where a value was written: the file (relative to the root) and the 1-based line and column.</summary>
/// <param name="File">The file, relative to the root, with forward slashes.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary><c>file:line</c>, the form shown by <c>--show-origin</c>.</summary>
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// The file and line of every value after layering, by key path (<c>services.api.replicas</c>,
/// <c>canary.steps[0].weight</c>). Values that no file sets (defaults) have no origin.
/// </summary>
public sealed class EnvironmentOrigins
{
    private readonly FrozenDictionary<string, SourceLocation> _locations;

    internal EnvironmentOrigins(IDictionary<string, SourceLocation> locations) =>
        _locations = locations.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>No origins: an environment built in code rather than loaded.</summary>
    public static EnvironmentOrigins Empty { get; } = new(new Dictionary<string, SourceLocation>());

    /// <summary>Every key path that came from a file.</summary>
    public IEnumerable<string> KeyPaths => _locations.Keys;

    /// <summary>Finds where <paramref name="keyPath"/> was written.</summary>
    /// <param name="keyPath">A dotted key path.</param>
    /// <param name="location">The location when found.</param>
    public bool TryGet(string keyPath, out SourceLocation location) => _locations.TryGetValue(keyPath, out location);

    /// <summary>
    /// The location of <paramref name="keyPath"/>, or of its nearest ancestor that a file wrote (a value
    /// left at its default is reported where its section is); null when nothing on the path was written.
    /// </summary>
    /// <param name="keyPath">A dotted key path.</param>
    public SourceLocation? Nearest(string keyPath)
    {
        ArgumentNullException.ThrowIfNull(keyPath);
        var path = keyPath;
        while (true)
        {
            if (_locations.TryGetValue(path, out var location))
            {
                return location;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return _locations.TryGetValue(string.Empty, out var root) ? root : null;
            }

            path = path[..cut];
        }
    }
}
