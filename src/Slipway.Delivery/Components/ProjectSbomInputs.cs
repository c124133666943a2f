using System.Security.Cryptography;
using System.Text;
using Slipway.Tools.DotNet;

namespace Slipway.Delivery.Components;

/// <summary>
/// What a project's SBOM (<c>cdxgen -t dotnet</c>) is made from: the project's input files except its source code, plus
/// the package graph its restore resolved (<c>obj/project.assets.json</c>). A change to the code alone leaves the packages,
/// and so the SBOM, as they were; any other file of the project, a lock file or a build file makes it again.
/// </summary>
internal static class ProjectSbomInputs
{
    /// <summary>Source code, which names no package: the only files whose change keeps a project SBOM.</summary>
    private static readonly string[] SourceExtensions = [".cs", ".fs", ".fsi", ".fsx", ".vb", ".cshtml", ".razor"];

    /// <summary>A SHA-256 over those files' paths and contents; equal hashes mean cdxgen would list the same packages.</summary>
    public static string Hash(string rootDirectory, string project)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var assets = Path.Combine(Path.GetDirectoryName(project) ?? string.Empty, "obj", "project.assets.json").Replace('\\', '/');
        var files = ProjectInputs.Files(rootDirectory, project)
            .Where(f => !SourceExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Append(assets);
        foreach (var file in files)
        {
            var path = Path.Combine(rootDirectory, file);
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(File.Exists(path) ? SHA256.HashData(File.ReadAllBytes(path)) : Encoding.UTF8.GetBytes("(none)"));
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>What the project SBOM of a service was made from, and the hash of the file cdxgen wrote.</summary>
internal sealed record ProjectSbomRecord(string Inputs, string Cdxgen, string Sbom);
