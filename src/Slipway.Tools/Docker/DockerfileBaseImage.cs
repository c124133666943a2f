using System.Text.RegularExpressions;

namespace Slipway.Tools.Docker;

/// <summary>
/// The image a Dockerfile's final stage builds FROM, with <c>ARG</c> defaults (and given build
/// arguments) substituted — so its ID can be part of a build's inputs.
/// </summary>
public static partial class DockerfileBaseImage
{
    /// <summary>Returns the final stage's base image reference, or null for <c>FROM scratch</c>.</summary>
    public static string? Resolve(string dockerfile, IReadOnlyDictionary<string, string> buildArguments)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        ArgumentNullException.ThrowIfNull(buildArguments);
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var raw in dockerfile.Split('\n'))
        {
            var line = raw.Trim();
            var arg = ArgPattern().Match(line);
            if (arg.Success && last is null)
            {
                var name = arg.Groups["name"].Value;
                arguments[name] = buildArguments.TryGetValue(name, out var given) ? given : arg.Groups["value"].Value.Trim('"');
                continue;
            }

            var from = FromPattern().Match(line);
            if (from.Success)
            {
                var image = VariablePattern().Replace(from.Groups["image"].Value, m =>
                    arguments.TryGetValue(m.Groups["name"].Value, out var value) ? value : m.Value);

                // FROM an earlier stage means that stage's base.
                last = stages.TryGetValue(image, out var stageBase) ? stageBase : image;
                if (from.Groups["stage"].Success)
                {
                    stages[from.Groups["stage"].Value] = last;
                }
            }
        }

        return last is null ? throw new FormatException("The Dockerfile has no FROM instruction.") : last == "scratch" ? null : last;
    }

    [GeneratedRegex(@"^ARG\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)(=(?<value>\S*))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ArgPattern();

    [GeneratedRegex(@"^FROM\s+(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<stage>\S+))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FromPattern();

    [GeneratedRegex(@"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}?", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();
}
