namespace Slipway.Delivery;

/// <summary>Finds a repository's own files by convention, without wandering into build output, packages or tool state.</summary>
internal static class RepositoryFiles
{
    /// <summary>Directories never searched: build output, npm packages, and dot-directories (.git, .slipway and its engine data).</summary>
    private static bool Skipped(string name) => name is "bin" or "obj" or "node_modules" or "artifacts" || name.StartsWith('.');

    /// <summary>Files under <paramref name="root"/> matching <paramref name="pattern"/>, as sorted paths relative to it with '/'.</summary>
    public static IReadOnlyList<string> Find(string root, string pattern)
    {
        ArgumentNullException.ThrowIfNull(root);
        var found = new List<string>();
        var pending = new Stack<string>([root]);
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            found.AddRange(Directory.EnumerateFiles(directory, pattern, options).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')));
            foreach (var child in Directory.EnumerateDirectories(directory, "*", options).Where(d => !Skipped(Path.GetFileName(d))))
            {
                pending.Push(child);
            }
        }

        return [.. found.Order(StringComparer.Ordinal)];
    }
}
