using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Cosign;

/// <summary>
/// The version of the cosign CLI, as <c>cosign version</c> reports it. Flags differ between majors (v3 makes a
/// signing config the default and refuses <c>--tlog-upload=false</c> beside it), so every <see cref="CosignCli"/>
/// method that signs or verifies takes one.
/// </summary>
/// <param name="Major">The major version: 2 or 3 for the versions this wrapper supports.</param>
/// <param name="Minor">The minor version.</param>
/// <param name="Patch">The patch version.</param>
public sealed partial record CosignVersion(int Major, int Minor, int Patch)
{
    /// <summary>The oldest major this wrapper renders flags for: v1 spelled keyless and the tlog differently.</summary>
    public const int OldestSupportedMajor = 2;

    /// <summary>True from v3 on, where a TUF-provided signing config is used unless it is turned off.</summary>
    public bool UsesSigningConfigByDefault => Major >= 3;

    /// <summary>
    /// True for a build without a version stamp: <c>cosign version</c> says <c>GitVersion: devel</c>, as Debian's
    /// package does (it is built without the release's linker flags). Its major then comes from its flags
    /// (<see cref="FromSignHelp"/>), and Minor and Patch are 0.
    /// </summary>
    public bool Unstamped { get; init; }

    /// <summary>True when <paramref name="versionOutput"/> is an unstamped build's (<c>GitVersion: devel</c>).</summary>
    public static bool IsUnstamped(string versionOutput)
    {
        ArgumentNullException.ThrowIfNull(versionOutput);
        return DevelLine().IsMatch(versionOutput);
    }

    /// <summary>
    /// The version an unstamped cosign behaves as, read from <c>cosign sign --help</c>: v3 when it lists
    /// <c>--use-signing-config</c> on by default (the one flag difference Slipway renders), else v2.
    /// </summary>
    public static CosignVersion FromSignHelp(string signHelp)
    {
        ArgumentNullException.ThrowIfNull(signHelp);
        return SigningConfigOnByDefault().IsMatch(signHelp) ? new CosignVersion(3, 0, 0) { Unstamped = true } : new CosignVersion(2, 0, 0) { Unstamped = true };
    }

    /// <summary>
    /// For Doctor: <c>v2.4.1</c>, or for an unstamped build <c>devel (unstamped build …)</c>, or the first line when
    /// neither reads.
    /// </summary>
    public static string? Describe(string versionOutput)
    {
        ArgumentNullException.ThrowIfNull(versionOutput);
        if (IsUnstamped(versionOutput))
        {
            return "devel (an unstamped build such as Debian's package; Sign and Verify read its flags from 'cosign sign --help')";
        }

        var match = GitVersionLine().Match(versionOutput);
        return match.Success
            ? $"v{match.Groups["major"].Value}.{match.Groups["minor"].Value}.{match.Groups["patch"].Value}"
            : versionOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
    }

    /// <summary>
    /// Reads the <c>GitVersion:</c> line of <c>cosign version</c> (e.g. <c>GitVersion:    v2.4.1</c>). The ASCII-art
    /// banner and the other lines are ignored; a pre-release or build suffix (<c>v3.0.2-rc.1</c>) is dropped.
    /// Pass stdout and stderr together: cosign 1.x printed the version to stderr.
    /// </summary>
    /// <exception cref="FormatException">No GitVersion line, or a major older than v2. For <c>GitVersion: devel</c>, see <see cref="IsUnstamped"/>.</exception>
    public static CosignVersion Parse(string versionOutput)
    {
        ArgumentNullException.ThrowIfNull(versionOutput);
        var match = GitVersionLine().Match(versionOutput);
        if (!match.Success)
        {
            var first = versionOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(empty)";
            throw new FormatException(
                $"'cosign version' printed no 'GitVersion: vX.Y.Z' line (first line: '{first}'). Check that SLIPWAY_COSIGN or PATH points at cosign itself.");
        }

        var version = new CosignVersion(Number(match, "major"), Number(match, "minor"), Number(match, "patch"));
        return version.Major >= OldestSupportedMajor
            ? version
            : throw new FormatException($"cosign {version} is too old: Slipway renders flags for cosign v{OldestSupportedMajor} and later. Install cosign v2.4 or newer.");
    }

    /// <summary><c>v2.4.1</c>, as cosign prints it; an unstamped build says so.</summary>
    public override string ToString() => Unstamped
        ? string.Create(CultureInfo.InvariantCulture, $"v{Major} (an unstamped build: 'cosign version' says devel; its flags, read from 'cosign sign --help', are v{Major}'s)")
        : string.Create(CultureInfo.InvariantCulture, $"v{Major}.{Minor}.{Patch}");

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*GitVersion:\s*\(?devel\)?\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DevelLine();

    // cosign's help template prints "--flag=DEFAULT:"; cobra's default one "--flag ... (default true)".
    [GeneratedRegex(@"--use-signing-config(=true\b|[^\n]*\(default true\))", RegexOptions.CultureInvariant)]
    private static partial Regex SigningConfigOnByDefault();

    // The leading v is optional: cosign 1.3 printed "GitVersion:    1.3.0".
    [GeneratedRegex(@"^\s*GitVersion:\s*v?(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex GitVersionLine();
}
