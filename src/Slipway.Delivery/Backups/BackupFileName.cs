using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Backups;

/// <summary>
/// The name of one backup file: <c>ENVIRONMENT-yyyyMMddTHHmmssZ-VERSION.dump</c>, e.g.
/// <c>prod-20260301T090000Z-1.4.0_build.7.dump</c>. Everything retention needs is in the name, so pruning never
/// opens a file and never depends on file times that a copy or a restore from elsewhere would change.
/// </summary>
/// <remarks>
/// The timestamp has no ':' so the name is valid on every file system and <c>docker cp</c> never reads it as
/// <c>CONTAINER:PATH</c>; it sorts by time within one environment. Names are ASCII letters, digits, '.', '_' and '-' only.
/// </remarks>
public sealed partial record BackupFileName
{
    /// <summary>The extension of every backup file: a <c>pg_dump</c> custom-format archive.</summary>
    public const string Extension = ".dump";

    /// <summary>The longest version kept in a name; longer ones are cut, keeping their start.</summary>
    public const int MaxVersionLength = 128;

    private const string TimestampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Most file systems allow 255 bytes per name; ours are ASCII, so 255 characters.</summary>
    private const int MaxFileNameLength = 255;

    private BackupFileName(string environment, DateTimeOffset timestamp, string version)
    {
        Environment = environment;
        Timestamp = timestamp;
        Version = version;
    }

    /// <summary>The environment the backup was taken for.</summary>
    public string Environment { get; }

    /// <summary>When the backup was taken, UTC, to the second.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The version being deployed when the backup was taken, as it appears in the name (see <see cref="SanitizeVersion"/>).</summary>
    public string Version { get; }

    /// <summary>The file name, e.g. <c>prod-20260301T090000Z-1.4.0.dump</c>.</summary>
    public string FileName =>
        $"{Environment}-{Timestamp.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)}-{Version}{Extension}";

    /// <summary>The name of a backup of <paramref name="environment"/> taken at <paramref name="takenAt"/> before deploying <paramref name="version"/>.</summary>
    /// <param name="environment">The environment name; ASCII letters, digits, '.', '_' and '-' only.</param>
    /// <param name="takenAt">When the backup is taken; converted to UTC and cut to whole seconds.</param>
    /// <param name="version">The version being deployed; any text, made safe by <see cref="SanitizeVersion"/>.</param>
    /// <exception cref="ArgumentException">The environment name has other characters, the version is blank, or the name would be too long for a file system.</exception>
    public static BackupFileName Create(string environment, DateTimeOffset takenAt, string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        if (!environment.All(IsSafe))
        {
            throw new ArgumentException(
                $"'{environment}' cannot start a backup file name: environment names used for backups may only contain ASCII letters, digits, '.', '_' and '-'.",
                nameof(environment));
        }

        var utc = takenAt.ToUniversalTime();
        var seconds = new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var name = new BackupFileName(environment, seconds, SanitizeVersion(version));

        // An environment name that itself looks like "x-20260301T090000Z-y" would parse back differently; refuse it
        // rather than write a backup that pruning would later attribute to another environment.
        if (!TryParse(name.FileName, out var parsed) || parsed != name)
        {
            throw new ArgumentException($"'{environment}' cannot start a backup file name: '{name.FileName}' would not read back as that environment.", nameof(environment));
        }

        return name.FileName.Length <= MaxFileNameLength
            ? name
            : throw new ArgumentException($"The backup file name '{name.FileName}' is longer than {MaxFileNameLength} characters; use a shorter environment name.", nameof(environment));
    }

    /// <summary>
    /// Reads a name written by <see cref="Create"/>. False for anything else, including names that differ only in
    /// form (another timestamp layout, a character <see cref="SanitizeVersion"/> would have replaced), so a file that
    /// parses is exactly the file <see cref="FileName"/> names.
    /// </summary>
    /// <param name="fileName">A file name without directory.</param>
    /// <param name="backup">The parsed name.</param>
    public static bool TryParse(string? fileName, [NotNullWhen(true)] out BackupFileName? backup)
    {
        backup = null;
        if (fileName is null)
        {
            return false;
        }

        var match = Pattern().Match(fileName);
        if (!match.Success
            || !DateTime.TryParseExact(match.Groups["timestamp"].Value, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return false;
        }

        var parsed = new BackupFileName(match.Groups["environment"].Value, new DateTimeOffset(timestamp, TimeSpan.Zero), match.Groups["version"].Value);
        if (!string.Equals(parsed.FileName, fileName, StringComparison.Ordinal))
        {
            return false;
        }

        backup = parsed;
        return true;
    }

    /// <summary>
    /// The version as it appears in a name: every character other than ASCII letters, digits, '.' and '-' becomes '_',
    /// cut to <see cref="MaxVersionLength"/>. '_' is not a SemVer character, so <c>1.2.3+build.5</c> (<c>1.2.3_build.5</c>)
    /// stays apart from the prerelease <c>1.2.3-build.5</c>.
    /// </summary>
    /// <param name="version">Any version text.</param>
    public static string SanitizeVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var text = new StringBuilder(Math.Min(version.Length, MaxVersionLength));
        foreach (var c in version.Trim().Take(MaxVersionLength))
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_');
        }

        return text.ToString();
    }

    /// <summary><see cref="FileName"/>.</summary>
    public override string ToString() => FileName;

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    // The environment is matched lazily, so the first "-TIMESTAMP-" ends it: "prod-eu-…" is environment "prod-eu", never "prod".
    [GeneratedRegex(@"^(?<environment>[A-Za-z0-9._-]+?)-(?<timestamp>[0-9]{8}T[0-9]{6}Z)-(?<version>[A-Za-z0-9._-]+)\.dump$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
