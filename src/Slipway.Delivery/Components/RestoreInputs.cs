using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Components;

/// <summary>
/// What a <c>dotnet restore</c> of the repository reads: every project file, lock file and repository-wide build file
/// (props, targets, global.json, NuGet.config, the solution), plus the SDK and the locked mode. Equal hashes, with every
/// project's restore output still in place, mean a restore would change nothing.
/// </summary>
internal static partial class RestoreInputs
{
    /// <summary>Where the last successful restore is recorded.</summary>
    public const string RecordPath = ".slipway/build-state/restore.json";

    private static readonly string[] SkippedDirectories = ["bin", "obj", "node_modules", "artifacts", "TestResults"];

    private static readonly string[] ProjectExtensions = [".csproj", ".fsproj", ".vbproj"];

    private static readonly string[] InputExtensions = [.. ProjectExtensions, ".props", ".targets", ".sln", ".slnx"];

    private static readonly string[] InputNames = ["packages.lock.json", "global.json", "nuget.config"];

    /// <summary>
    /// The hash of the restore's inputs under <paramref name="rootDirectory"/>, or null with the reason when a restore
    /// is needed whatever the inputs (a project's restore output is missing, a file cannot be read).
    /// </summary>
    public static (string? Hash, string? Missing) Hash(string rootDirectory, string solution, string sdkVersion, bool lockedMode)
    {
        var root = Path.GetFullPath(rootDirectory);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"sdk={sdkVersion}\nlocked={lockedMode}\n"));
        try
        {
            // Only the solution's projects are restored: a template's or a fixture's project has no restore output.
            var solutionPath = Path.Combine(root, solution);
            foreach (var project in SolutionProject().Matches(File.ReadAllText(solutionPath)).Select(m => m.Groups["path"].Value.Replace('\\', '/')))
            {
                if (!File.Exists(Path.Combine(Path.GetDirectoryName(Path.Combine(Path.GetDirectoryName(solutionPath)!, project))!, "obj", "project.assets.json")))
                {
                    return (null, $"{project} has no restore output (obj/project.assets.json)");
                }
            }

            foreach (var file in InputFiles(root))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                hash.AppendData(Encoding.UTF8.GetBytes(relative + "\n"));
                using var stream = File.OpenRead(file);
                hash.AppendData(SHA256.HashData(stream));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"an input could not be read ({ex.Message})");
        }

        return ("sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), null);
    }

    [GeneratedRegex(@"""(?<path>[^""]+\.(cs|fs|vb)proj)""", RegexOptions.IgnoreCase)]
    private static partial Regex SolutionProject();

    private static IEnumerable<string> InputFiles(string root)
    {
        var found = new List<string>();
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                // Links are not followed: .slipway/tools and the like point outside the repository.
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo sub)
                {
                    if (!sub.Name.StartsWith('.') && !SkippedDirectories.Contains(sub.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        pending.Push(sub.FullName);
                    }
                }
                else if (InputExtensions.Contains(entry.Extension, StringComparer.OrdinalIgnoreCase) || InputNames.Contains(entry.Name, StringComparer.OrdinalIgnoreCase))
                {
                    found.Add(entry.FullName);
                }
            }
        }

        return found.Order(StringComparer.Ordinal);
    }
}

/// <summary>What the last successful restore read.</summary>
internal sealed record RestoreRecord(string Inputs);
