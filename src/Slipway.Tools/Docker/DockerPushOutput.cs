using System.Text.RegularExpressions;

namespace Slipway.Tools.Docker;

/// <summary>Reads what <c>docker push</c> prints.</summary>
public static partial class DockerPushOutput
{
    /// <summary>
    /// The manifest digest from the line <c>TAG: digest: sha256:… size: N</c> that <c>docker push</c> prints last.
    /// </summary>
    /// <param name="standardOutput">The push's stdout.</param>
    /// <param name="tag">The pushed tag (<c>1.0.0</c>) or the whole reference (<c>127.0.0.1:5000/slipway/api:1.0.0</c>).</param>
    /// <exception cref="FormatException">No digest line for that tag: the push did not finish, or pushed another tag.</exception>
    public static string ParseDigest(string standardOutput, string tag)
    {
        ArgumentNullException.ThrowIfNull(standardOutput);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        var bareTag = TagOf(tag);
        foreach (var line in standardOutput.Split('\n'))
        {
            var match = DigestLine().Match(line.Trim());
            if (match.Success && string.Equals(match.Groups["tag"].Value, bareTag, StringComparison.Ordinal))
            {
                return match.Groups["digest"].Value;
            }
        }

        throw new FormatException(
            $"docker push printed no digest for tag '{bareTag}'; expected a line like '{bareTag}: digest: sha256:<64 hex digits> size: <bytes>'. Check that the push completed and pushed that tag.");
    }

    /// <summary>The tag of a reference: after the last ':' that follows the last '/' (a ':' before it is a registry port).</summary>
    private static string TagOf(string reference)
    {
        var name = reference[(reference.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        return colon < 0 ? name : name[(colon + 1)..];
    }

    [GeneratedRegex(@"^(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): digest: (?<digest>sha256:[a-f0-9]{64}) size: \d+$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestLine();
}
