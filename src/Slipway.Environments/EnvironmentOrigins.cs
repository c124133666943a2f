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
    // The merged tree already knows every position; looking a path up in it on demand is cheaper
    // than building a string key for every value of every load, when only the printer and error
    // messages ever ask.
    private readonly SourceMapping? _root;

    internal EnvironmentOrigins(SourceMapping? root) => _root = root;

    /// <summary>No origins: an environment built in code rather than loaded.</summary>
    public static EnvironmentOrigins Empty { get; } = new(null);

    /// <summary>Every key path that came from a file, in file order.</summary>
    public IEnumerable<string> KeyPaths => _root is null ? [] : Walk(_root, string.Empty);

    /// <summary>Finds where <paramref name="keyPath"/> was written.</summary>
    /// <param name="keyPath">A dotted key path.</param>
    /// <param name="location">The location when found.</param>
    public bool TryGet(string keyPath, out SourceLocation location)
    {
        ArgumentNullException.ThrowIfNull(keyPath);
        location = default;
        if (_root is null)
        {
            return false;
        }

        SourceNode node = _root;
        location = _root.Location;
        var i = 0;
        while (i < keyPath.Length)
        {
            if (keyPath[i] == '[')
            {
                var close = keyPath.IndexOf(']', i);
                if (close < 0 || node is not SourceSequence sequence
                    || !int.TryParse(keyPath.AsSpan(i + 1, close - i - 1), System.Globalization.CultureInfo.InvariantCulture, out var index)
                    || index < 0 || index >= sequence.Items.Count)
                {
                    return false;
                }

                node = sequence.Items[index];
                location = node.Location;
                i = close + 1;
                continue;
            }

            if (keyPath[i] == '.')
            {
                i++;
            }

            var end = keyPath.IndexOfAny(['.', '['], i);
            var key = end < 0 ? keyPath[i..] : keyPath[i..end];
            if (node is not SourceMapping mapping || mapping.Find(key) is not { } entry)
            {
                return false;
            }

            node = entry.Value;

            // A section is "written" where its key is; a scalar where its value is.
            location = node is SourceScalar ? node.Location : entry.KeyLocation;
            i = end < 0 ? keyPath.Length : end;
        }

        return true;
    }

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
            if (TryGet(path, out var location))
            {
                return location;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return TryGet(string.Empty, out var root) ? root : null;
            }

            path = path[..cut];
        }
    }

    private static IEnumerable<string> Walk(SourceNode node, string path)
    {
        IEnumerable<(string Path, SourceNode Node)> children = node switch
        {
            SourceMapping mapping => mapping.Entries.Select(e => (KeyPath.Child(path, e.Key), e.Value)),
            SourceSequence sequence => sequence.Items.Select((item, i) => (KeyPath.Item(path, i), item)),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            yield return childPath;
            foreach (var descendant in Walk(child, childPath))
            {
                yield return descendant;
            }
        }
    }
}
