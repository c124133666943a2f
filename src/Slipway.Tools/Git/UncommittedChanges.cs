using System.Security.Cryptography;
using System.Text;

namespace Slipway.Tools.Git;

/// <summary>
/// A fingerprint of the uncommitted work in a checkout, from <see cref="GitCli.ChangedFiles"/>: each changed, added,
/// deleted, renamed or untracked (not ignored) path with its status and the SHA-256 of what is on disk now. The same
/// edits give the same fingerprint (a rebuild of them is the same version); any other content gives another. Only the
/// listed paths are read, so the cost follows the size of the change, not of the repository.
/// </summary>
public static class UncommittedChanges
{
    /// <summary>Hex digits of the fingerprint that go into a version: 40 bits, so two edits of one commit do not collide in practice.</summary>
    public const int FingerprintLength = 10;

    /// <summary>
    /// The fingerprint of the changes <paramref name="statusOutput"/> lists, reading each path under
    /// <paramref name="repositoryRoot"/>; null when the tree is clean. What a build itself writes is not a change of the
    /// source, even in a repository whose <c>.gitignore</c> forgets it: anything under Slipway's own <c>.slipway/</c> and
    /// <c>artifacts/</c>, and untracked files under a <c>bin/</c> or <c>obj/</c> directory (the SDK's outputs). Counted,
    /// they would give every run a new version and make nothing incremental.
    /// </summary>
    /// <param name="repositoryRoot">The repository's top directory: the paths of <c>git status --porcelain</c> are relative to it.</param>
    /// <param name="statusOutput">The output of <see cref="GitCli.ChangedFiles"/> (NUL-separated entries).</param>
    public static string? Fingerprint(string repositoryRoot, string statusOutput)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repositoryRoot);
        ArgumentNullException.ThrowIfNull(statusOutput);
        var entries = Parse(statusOutput).Where(e => !IsBuildOutput(e.Status, e.Path)).ToList();
        if (entries.Count == 0)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (status, path, origin) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{status}\0{path}\0{origin}\0{ContentHash(Path.Combine(repositoryRoot, path))}\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..FingerprintLength];
    }

    /// <summary>The entries of <c>git status --porcelain -z</c>: two status letters, a space, the path; a rename or copy is followed by its origin path.</summary>
    internal static List<(string Status, string Path, string Origin)> Parse(string statusOutput)
    {
        var fields = statusOutput.Split('\0');
        var entries = new List<(string, string, string)>();
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            if (field.Length < 4 || field[2] != ' ')
            {
                continue;
            }

            var status = field[..2];
            var origin = status.Contains('R', StringComparison.Ordinal) || status.Contains('C', StringComparison.Ordinal)
                ? (i + 1 < fields.Length ? fields[++i] : string.Empty)
                : string.Empty;
            entries.Add((status, field[3..], origin));
        }

        return entries;
    }

    /// <summary>What is at <paramref name="path"/> now: a file's SHA-256, a symbolic link's target, or that nothing is there.</summary>
    private static bool IsBuildOutput(string status, string path)
    {
        var segments = path.Split('/');
        return segments[0] is ".slipway" or "artifacts"
            || (status == "??" && segments[..^1].Any(segment => segment is "bin" or "obj"));
    }

    private static string ContentHash(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target)
        {
            return "link:" + target;
        }

        if (!info.Exists)
        {
            return Directory.Exists(path) ? "directory" : "absent";
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable now (removed while we looked, no permission): still a change, named by its size and time.
            return $"unreadable:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
        }
    }
}
