using System.Text.RegularExpressions;

namespace Slipway.GitHub;

/// <summary>The tag a release run is for: <c>--tag</c>, else the <c>v*</c> tag of <c>GITHUB_REF</c> (<c>refs/tags/v1.2.3</c>).</summary>
public static partial class ReleaseTag
{
    /// <summary>The tag, or null when the run is not for a release tag (a branch, a pull request, a tag not starting with v).</summary>
    public static string? Find(string? explicitTag, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!string.IsNullOrWhiteSpace(explicitTag))
        {
            return explicitTag.Trim();
        }

        return variables.GetValueOrDefault("GITHUB_REF") is { } gitRef && TagRef().Match(gitRef) is { Success: true } match
            ? match.Groups["tag"].Value
            : null;
    }

    /// <summary>True when <paramref name="tag"/> names <paramref name="version"/>: <c>v1.2.3</c> or <c>1.2.3</c> for 1.2.3.</summary>
    public static bool Names(string tag, string version)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return string.Equals(tag.StartsWith('v') ? tag[1..] : tag, version, StringComparison.Ordinal);
    }

    [GeneratedRegex("^refs/tags/(?<tag>v[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex TagRef();
}
