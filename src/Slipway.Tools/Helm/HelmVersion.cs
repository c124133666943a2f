using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Helm;

/// <summary>
/// The version of the Helm CLI, as <c>helm version --short</c> prints it (<c>v3.14.2+gc309b6f</c>). Flags differ
/// between majors: Helm 4 renamed <c>--atomic</c> to <c>--rollback-on-failure</c> and made <c>--wait</c> take a
/// strategy, so <see cref="HelmCli.UpgradeInstall"/> takes one.
/// </summary>
/// <param name="Major">3 or 4 for the versions this wrapper supports.</param>
/// <param name="Minor">The minor version.</param>
/// <param name="Patch">The patch version.</param>
public sealed partial record HelmVersion(int Major, int Minor, int Patch)
{
    /// <summary>The oldest major this wrapper renders flags for (Helm 2 needed Tiller).</summary>
    public const int OldestSupportedMajor = 3;

    /// <summary>True from Helm 4 on: <c>--rollback-on-failure</c> and <c>--wait=STRATEGY</c>.</summary>
    public bool HasWaitStrategies => Major >= 4;

    /// <summary>
    /// Reads the first <c>vX.Y.Z</c> of <c>helm version --short</c>; a build or pre-release suffix is dropped.
    /// </summary>
    /// <exception cref="FormatException">No version in the output, or Helm 2.</exception>
    public static HelmVersion Parse(string versionOutput)
    {
        ArgumentNullException.ThrowIfNull(versionOutput);
        var match = ShortVersion().Match(versionOutput);
        if (!match.Success)
        {
            var first = versionOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(empty)";
            throw new FormatException($"'helm version --short' printed no 'vX.Y.Z' (first line: '{first}'). Check that SLIPWAY_HELM or PATH points at helm itself.");
        }

        var version = new HelmVersion(Number(match, "major"), Number(match, "minor"), Number(match, "patch"));
        return version.Major >= OldestSupportedMajor
            ? version
            : throw new FormatException($"helm {version} is too old: Slipway renders flags for Helm {OldestSupportedMajor} and 4. Install Helm 3.8 or newer.");
    }

    /// <summary><c>v3.14.2</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"v{Major}.{Minor}.{Patch}");

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?m)^\s*v?(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex ShortVersion();
}
