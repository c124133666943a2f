using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery.Components;

/// <summary>
/// When a project's <c>dotnet list package --vulnerable</c> of today can be reused: what the list reads is the project's
/// resolved package graph (<c>obj/project.assets.json</c>, transitive packages and referenced projects' included), the
/// SDK that reads it, and the advisories of the day. A change to the project's code changes none of them.
/// </summary>
internal static class PackageScan
{
    /// <summary>A report longer than this is not kept (a step record is read back only up to 64 KiB).</summary>
    public const int MaxReportLength = 48 << 10;

    /// <summary>Where the list of <paramref name="service"/>'s project is kept; the name is a validated service name.</summary>
    public static string RecordPath(string service) => $"{ReleaseArtifacts.BuildStateDirectory}/scan-packages/{service}.json";

    /// <summary>
    /// The hash of what the list of <paramref name="project"/> (relative to <paramref name="rootDirectory"/>) depends on,
    /// or null when the project has no restore output to read (the list then runs, and says what is wrong).
    /// </summary>
    public static string? Inputs(string rootDirectory, string project, string sdkVersion, DateOnly day)
    {
        var projectFile = Path.GetFullPath(Path.Combine(rootDirectory, project));
        var assets = Path.Combine(Path.GetDirectoryName(projectFile)!, "obj", "project.assets.json");
        if (StepRecord.FileHash(projectFile) is not { } projectHash || StepRecord.FileHash(assets) is not { } assetsHash)
        {
            return null;
        }

        var text = $"project={project.Replace('\\', '/')}\nsdk={sdkVersion}\nday={day.ToString("O", CultureInfo.InvariantCulture)}\nproject-file={projectHash}\nassets={assetsHash}\n";
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>A project's <c>dotnet list package --vulnerable --format json</c> output and what it was made from.</summary>
internal sealed record PackageScanRecord(string Inputs, string Report);
