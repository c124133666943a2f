using System.Globalization;
using System.Text;

namespace Slipway.Tools.Git;

/// <summary>
/// Decides the version a build releases, from what git says about HEAD. Pure, so every rule is unit-tested
/// and a dry run prints the version the real run will use.
/// </summary>
public static class ReleaseVersion
{
    /// <summary>Docker's limit on tag length.</summary>
    public const int MaxDockerTagLength = 128;

    private const int ShortShaLength = 7;

    private const string DirtyIdentifier = "dirty-";

    /// <summary>
    /// The version, by precedence:
    /// an explicit version (SemVer 2.0, a leading <c>v</c> allowed and stripped);
    /// else the tag on HEAD when it is a SemVer version (<c>v1.2.3</c> gives <c>1.2.3</c>);
    /// else <c>0.0.0-BRANCH.HEIGHT+SHA7</c>, with the branch reduced to <c>[0-9A-Za-z-]</c> and a detached HEAD
    /// named <c>detached</c>. The fallback sorts below every real release and says where it came from.
    /// </summary>
    /// <param name="explicitVersion">The <c>--version</c> parameter; null or blank when not given.</param>
    /// <param name="exactTag">The tag on HEAD (<see cref="GitCli.ExactTag"/>), or null.</param>
    /// <param name="branch">The branch (<see cref="GitCli.CurrentBranch"/>); <c>HEAD</c> or blank when detached.</param>
    /// <param name="height">The commit count (<see cref="GitCli.CommitCount"/>).</param>
    /// <param name="sha">The commit id (<see cref="GitCli.HeadCommit"/>), at least 7 hex digits.</param>
    /// <exception cref="FormatException">The explicit version is not SemVer 2.0.</exception>
    public static string Compute(string? explicitVersion, string? exactTag, string branch, int height, string sha)
    {
        if (!string.IsNullOrWhiteSpace(explicitVersion))
        {
            var version = StripV(explicitVersion.Trim());
            return IsSemVer(version)
                ? version
                : throw new FormatException(
                    $"--version '{explicitVersion}' is not a SemVer 2.0 version. Use MAJOR.MINOR.PATCH with an optional -PRERELEASE and +BUILD, e.g. 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7; a leading 'v' is allowed.");
        }

        if (!string.IsNullOrWhiteSpace(exactTag) && IsSemVer(StripV(exactTag.Trim())))
        {
            return StripV(exactTag.Trim());
        }

        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentNullException.ThrowIfNull(sha);
        if (sha.Length < ShortShaLength || !sha.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha}' is not a commit id: expected at least {ShortShaLength} hex digits from git rev-parse HEAD.", nameof(sha));
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"0.0.0-{BranchIdentifier(branch)}.{height}+{sha[..ShortShaLength].ToLowerInvariant()}");
    }

    /// <summary>
    /// The version of uncommitted work: <paramref name="version"/> with the pre-release identifier
    /// <c>dirty-&lt;fingerprint&gt;</c> appended (<c>0.0.0-main.42+abc1234</c> gives <c>0.0.0-main.42.dirty-1a2b3c4d5e+abc1234</c>,
    /// a tag <c>1.2.0</c> gives <c>1.2.0-dirty-1a2b3c4d5e</c>). The fingerprint is a hash of the changed files' content
    /// (<see cref="UncommittedChanges"/>), so each edit gets its own version and the same edit the same one, and a
    /// released version is never the name of work that was not committed.
    /// </summary>
    /// <param name="version">A SemVer 2.0 version computed from git (<see cref="Compute"/>).</param>
    /// <param name="fingerprint">The hex fingerprint of the uncommitted changes (<see cref="UncommittedChanges.Fingerprint"/>).</param>
    public static string MarkUncommitted(string version, string fingerprint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentException.ThrowIfNullOrWhiteSpace(fingerprint);
        if (!fingerprint.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{fingerprint}' is not a hex fingerprint.", nameof(fingerprint));
        }

        var plus = version.IndexOf('+', StringComparison.Ordinal);
        var (release, build) = plus < 0 ? (version, string.Empty) : (version[..plus], version[plus..]);
        var separator = release.Contains('-', StringComparison.Ordinal) ? '.' : '-';
        return $"{release}{separator}{DirtyIdentifier}{fingerprint.ToLowerInvariant()}{build}";
    }

    /// <summary>
    /// The Docker tag for a version. Tags allow <c>[A-Za-z0-9_.-]</c> and at most 128 characters, so <c>+</c> (SemVer
    /// build metadata) and anything else becomes <c>-</c>. An over-long tag loses its middle, not its end, because a
    /// computed version ends with the commit, which is what keeps two builds of one long branch apart.
    /// </summary>
    public static string DockerTag(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var tag = new StringBuilder(version.Length);
        foreach (var c in version)
        {
            tag.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-');
        }

        // A tag may not start with '.' or '-'; SemVer versions never do, but a caller's free text might.
        if (tag[0] is '.' or '-')
        {
            tag[0] = '_';
        }

        if (tag.Length <= MaxDockerTagLength)
        {
            return tag.ToString();
        }

        // A version of uncommitted work keeps its fingerprint too: it is what keeps two edits of one commit apart.
        var text = tag.ToString();
        var dirty = text.LastIndexOf(DirtyIdentifier, StringComparison.Ordinal);
        var kept = dirty > 0 && text.Length - dirty + 1 < MaxDockerTagLength / 2 ? text.Length - dirty + 1 : ShortShaLength + 1;
        return string.Concat(text.AsSpan(0, MaxDockerTagLength - kept), text.AsSpan(text.Length - kept, kept));
    }

    /// <summary>
    /// True for a SemVer 2.0 version: three numeric parts without leading zeros, then optional dot-separated
    /// pre-release identifiers (numeric ones without leading zeros) and build identifiers, all <c>[0-9A-Za-z-]</c>.
    /// </summary>
    public static bool IsSemVer(string? version)
    {
        if (string.IsNullOrEmpty(version))
        {
            return false;
        }

        var plus = version.IndexOf('+', StringComparison.Ordinal);
        var build = plus < 0 ? null : version[(plus + 1)..];
        var rest = plus < 0 ? version : version[..plus];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        var prerelease = dash < 0 ? null : rest[(dash + 1)..];
        var core = (dash < 0 ? rest : rest[..dash]).Split('.');

        return core.Length == 3 && core.All(IsNumericIdentifier)
            && (prerelease is null || prerelease.Split('.').All(p => IsIdentifier(p) && (!p.All(char.IsAsciiDigit) || IsNumericIdentifier(p))))
            && (build is null || build.Split('.').All(IsIdentifier));
    }

    private static string StripV(string version) => version.StartsWith('v') ? version[1..] : version;

    private static bool IsIdentifier(string part) => part.Length > 0 && part.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsNumericIdentifier(string part) =>
        part.Length > 0 && part.All(char.IsAsciiDigit) && (part.Length == 1 || part[0] != '0');

    /// <summary>
    /// The branch a CI checkout names when git cannot: GitHub checks a pull request out detached at its merge commit
    /// (<c>GITHUB_REF=refs/pull/7/merge</c> gives <c>pr-7</c>, so the version says which pull request it built), and a
    /// push's ref is its branch (<c>refs/heads/main</c> gives <c>main</c>). <paramref name="gitBranch"/> wins when git
    /// names one; null otherwise, or when <paramref name="githubRef"/> is neither form.
    /// </summary>
    /// <param name="gitBranch">What <see cref="GitCli.CurrentBranch"/> printed (<c>HEAD</c> when detached).</param>
    /// <param name="githubRef"><c>GITHUB_REF</c> of a GitHub Actions run, or null outside one.</param>
    public static string? CiBranch(string? gitBranch, string? githubRef)
    {
        if (!string.IsNullOrWhiteSpace(gitBranch) && gitBranch.Trim() != "HEAD")
        {
            return gitBranch.Trim();
        }

        var parts = (githubRef ?? string.Empty).Split('/');
        return parts switch
        {
            ["refs", "pull", var number, "merge" or "head"] when number.Length is > 0 and <= 10 && number.All(char.IsAsciiDigit) => "pr-" + number,
            ["refs", "heads", ..] when parts.Length > 2 => string.Join('/', parts[2..]),
            _ => null,
        };
    }

    /// <summary>
    /// The branch as one pre-release identifier: runs of other characters become one <c>-</c>
    /// (<c>feature/login_page</c> gives <c>feature-login-page</c>). An all-digit name gets a <c>branch-</c> prefix,
    /// because SemVer forbids leading zeros in numeric identifiers and a branch called <c>007</c> would break the version.
    /// </summary>
    private static string BranchIdentifier(string? branch)
    {
        if (string.IsNullOrWhiteSpace(branch) || branch.Trim() == "HEAD")
        {
            return "detached";
        }

        var identifier = new StringBuilder(branch.Length);
        foreach (var c in branch.Trim())
        {
            var allowed = char.IsAsciiLetterOrDigit(c) || c == '-';
            if (allowed)
            {
                identifier.Append(c);
            }
            else if (identifier.Length > 0 && identifier[^1] != '-')
            {
                identifier.Append('-');
            }
        }

        var text = identifier.ToString().Trim('-');
        return text.Length == 0 ? "branch" : text.All(char.IsAsciiDigit) ? "branch-" + text : text;
    }
}
