using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace Slipway.Tools.DotNet;

/// <summary>
/// The files a .NET project's build depends on: its own directory, whatever its project file includes
/// from outside it (linked sources, project references, recursively), and the repository-wide build
/// files. Hashing them tells whether a service must be rebuilt.
/// </summary>
public static class ProjectInputs
{
    private static readonly string[] RepositoryBuildFiles = ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config"];
    private static readonly string[] IncludingItems = ["Compile", "Content", "None", "EmbeddedResource", "ProjectReference"];

    /// <summary>Every input file of <paramref name="project"/>, relative to <paramref name="rootDirectory"/>, sorted.</summary>
    public static IReadOnlyList<string> Files(string rootDirectory, string project)
    {
        var root = Path.GetFullPath(rootDirectory);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        AddProject(root, Path.GetFullPath(Path.Combine(root, project)), files, visited);
        foreach (var file in RepositoryBuildFiles.Select(f => Path.Combine(root, f)).Where(File.Exists))
        {
            files.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
        }

        return [.. files];
    }

    /// <summary>
    /// A SHA-256 over the input files' paths and contents plus <paramref name="extras"/> (the Dockerfile's
    /// base image ID, build arguments, …): equal hashes mean nothing the build reads has changed.
    /// </summary>
    public static string Hash(string rootDirectory, string project, IEnumerable<string> extras)
    {
        ArgumentNullException.ThrowIfNull(extras);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files(rootDirectory, project))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(SHA256.HashData(File.ReadAllBytes(Path.Combine(rootDirectory, file))));
        }

        foreach (var extra in extras)
        {
            hash.AppendData(Encoding.UTF8.GetBytes("\n" + extra));
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AddProject(string root, string projectFile, SortedSet<string> files, HashSet<string> visited)
    {
        if (!visited.Add(projectFile))
        {
            return;
        }

        if (!File.Exists(projectFile))
        {
            throw new FileNotFoundException($"Project {Path.GetRelativePath(root, projectFile)} does not exist.", projectFile);
        }

        var directory = Path.GetDirectoryName(projectFile)!;
        AddDirectory(root, directory, files);
        foreach (var item in XDocument.Load(projectFile).Descendants().Where(e => IncludingItems.Contains(e.Name.LocalName)))
        {
            var include = (string?)item.Attribute("Include");
            if (string.IsNullOrWhiteSpace(include) || include.Contains("$(", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var part in include.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var path = Path.GetFullPath(Path.Combine(directory, part.Replace('\\', Path.DirectorySeparatorChar)));
                if (item.Name.LocalName == "ProjectReference")
                {
                    AddProject(root, path, files, visited);
                    continue;
                }

                // Everything up to the first wildcard: a linked folder ("../Shared/**/*.cs") or a single file.
                var wildcard = path.IndexOfAny(['*', '?']);
                var fixedPart = wildcard < 0 ? path : Path.GetDirectoryName(path[..wildcard]) ?? path;
                if (File.Exists(fixedPart))
                {
                    files.Add(Path.GetRelativePath(root, fixedPart).Replace('\\', '/'));
                }
                else if (Directory.Exists(fixedPart) && !fixedPart.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    AddDirectory(root, fixedPart, files);
                }
            }
        }
    }

    private static void AddDirectory(string root, string directory, SortedSet<string> files)
    {
        var pending = new Stack<string>([directory]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(current))
            {
                files.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
            }

            foreach (var child in Directory.EnumerateDirectories(current))
            {
                var name = Path.GetFileName(child);
                if (name is not ("bin" or "obj" or ".git" or "TestResults"))
                {
                    pending.Push(child);
                }
            }
        }
    }
}
