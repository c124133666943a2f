namespace Slipway.Processes;

/// <summary>
/// Finds a tool's executable: <c>SLIPWAY_&lt;TOOL&gt;</c> first (e.g. <c>SLIPWAY_HELM=/opt/helm/helm</c>),
/// then PATH, then the pipeline's own tool directories. A tool given as a path is used as is.
/// </summary>
public sealed class ToolResolver
{
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly IReadOnlyList<string> _extraDirectories;

    /// <summary>Creates a resolver reading the given environment, then searching <paramref name="extraDirectories"/> after PATH.</summary>
    public ToolResolver(Func<string, string?> getEnvironmentVariable, IReadOnlyList<string>? extraDirectories = null)
    {
        _getEnvironmentVariable = getEnvironmentVariable;
        _extraDirectories = extraDirectories ?? [];
    }

    /// <summary>The name of the variable that overrides a tool's location: <c>SLIPWAY_HELM</c>.</summary>
    public static string OverrideVariable(string tool) =>
        "SLIPWAY_" + new string([.. tool.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    /// <summary>Returns the executable's path, or throws <see cref="ToolNotFoundException"/>.</summary>
    public string Resolve(string tool) =>
        TryResolve(tool) ?? throw new ToolNotFoundException(tool, OverrideVariable(tool));

    /// <summary>Returns the executable's path, or null.</summary>
    public string? TryResolve(string tool)
    {
        if (tool.Contains('/', StringComparison.Ordinal) || tool.Contains('\\', StringComparison.Ordinal))
        {
            return File.Exists(tool) ? Path.GetFullPath(tool) : null;
        }

        var overridden = _getEnvironmentVariable(OverrideVariable(tool));
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return File.Exists(overridden) ? Path.GetFullPath(overridden) : null;
        }

        var path = _getEnvironmentVariable("PATH") ?? string.Empty;
        var extensions = OperatingSystem.IsWindows() ? new[] { ".exe", ".cmd", ".bat", string.Empty } : [string.Empty];
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(_extraDirectories))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, tool + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>A tool is not installed or not where its override variable says.</summary>
public sealed class ToolNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ToolNotFoundException(string tool, string overrideVariable)
        : base($"{tool} not found: install it or set {overrideVariable} to its path")
    {
        Tool = tool;
        OverrideVariable = overrideVariable;
    }

    /// <summary>The tool that was not found.</summary>
    public string Tool { get; }

    /// <summary>The variable that can point at it.</summary>
    public string OverrideVariable { get; }
}
