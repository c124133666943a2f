namespace Slipway.Environments;

/// <summary>
/// The one place that resolves a configured path inside the folder it belongs to: the repository for
/// <c>state_directory</c>, a Dockerfile or a <c>file:</c> secret, the environments folder for an environment file.
/// A path that leads outside — absolute, climbing with <c>..</c>, or through a symbolic link that points elsewhere —
/// is refused before anything reads or writes through it.
/// </summary>
public static class ContainedPath
{
    private const int MaxLinkHops = 40;

    private static StringComparison PathComparison =>
        OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    /// <summary>
    /// Null when <paramref name="path"/>, read relative to its folder, stays inside that folder by its text alone (it is
    /// not absolute and no <c>..</c> climbs above the start); else why not. Needs no file system, so a loader can check
    /// every configured path cheaply; <see cref="TryResolve"/> also follows links.
    /// </summary>
    /// <param name="path">A configured path, relative to its folder.</param>
    public static string? LexicalProblem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path.IsPathRooted(path) || path.StartsWith('~') || (path.Length >= 2 && path[1] == ':'))
        {
            return "an absolute path";
        }

        // Walked in place rather than split: a loader checks a few paths per service of every environment.
        var depth = 0;
        var rest = path.AsSpan();
        while (rest.Length > 0)
        {
            var end = rest.IndexOfAny('/', '\\');
            var part = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (part.SequenceEqual(".."))
            {
                if (--depth < 0)
                {
                    return "a path that climbs out with '..'";
                }
            }
            else if (part.Length > 0 && !part.SequenceEqual("."))
            {
                depth++;
            }
        }

        return null;
    }

    /// <summary>
    /// Resolves <paramref name="path"/> (relative to <paramref name="folder"/>, or absolute) and returns true when the
    /// result, with every symbolic link on the way followed, is <paramref name="folder"/> or inside it.
    /// </summary>
    /// <param name="folder">The folder the path belongs to.</param>
    /// <param name="path">The configured path.</param>
    /// <param name="fullPath">The resolved path, links followed (also set when it is outside, for messages).</param>
    public static bool TryResolve(string folder, string path, out string fullPath)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(path);
        var realFolder = RealPath(Path.GetFullPath(folder));
        fullPath = RealPath(Path.GetFullPath(path, realFolder));
        return IsInside(realFolder, fullPath);
    }

    /// <summary>True when <paramref name="fullPath"/> is <paramref name="folder"/> or below it (both already resolved).</summary>
    /// <param name="folder">A full path.</param>
    /// <param name="fullPath">A full path.</param>
    public static bool IsInside(string folder, string fullPath)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(fullPath);
        var trimmed = Path.TrimEndingDirectorySeparator(folder);
        return string.Equals(fullPath, trimmed, PathComparison)
            || (fullPath.Length > trimmed.Length && fullPath.StartsWith(trimmed, PathComparison)
                && (fullPath[trimmed.Length] == Path.DirectorySeparatorChar || trimmed.EndsWith(Path.DirectorySeparatorChar)));
    }

    /// <summary>
    /// <paramref name="fullPath"/> with every symbolic link among its existing parts followed (as <c>realpath</c> does;
    /// the parts that do not exist yet are kept as written). A loop of links ends the walk where it was.
    /// </summary>
    /// <param name="fullPath">A full path.</param>
    public static string RealPath(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        var full = Path.GetFullPath(fullPath);
        var current = Path.GetPathRoot(full) ?? string.Empty;
        var remaining = new Stack<string>(Parts(full[current.Length..]).Reverse());
        var hops = 0;
        while (remaining.Count > 0)
        {
            var part = remaining.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, part);
            var target = LinkTargetOrNull(next);
            if (target is null || ++hops > MaxLinkHops)
            {
                current = next;
                continue;
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? current;
                target = target[current.Length..];
            }

            foreach (var linked in Parts(target).Reverse())
            {
                remaining.Push(linked);
            }
        }

        return current;
    }

    private static string[] Parts(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    private static string? LinkTargetOrNull(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// Marks a configured path (a string, or a list of them) that must stay inside the repository; the loader refuses one
/// that is absolute or climbs out with <c>..</c>, and for a folder Slipway writes to (<see cref="Written"/>) also one
/// that leads out through a symbolic link.
/// </summary>
/// <param name="what">What the path is, as messages say it: <c>the state directory</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RepositoryPathAttribute(string what) : Attribute
{
    /// <summary>What the path is.</summary>
    public string What { get; } = what;

    /// <summary>Slipway creates or writes files there, so links on the way are followed and checked too.</summary>
    public bool Written { get; init; }
}
