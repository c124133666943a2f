namespace Slipway.Delivery;

/// <summary>What identifies a release: its version, commit, commit time (the images' creation date) and source URL.</summary>
/// <param name="Version">The release version (SemVer 2).</param>
/// <param name="Commit">The commit built.</param>
/// <param name="Created">The commit's time: rebuilding the same commit yields the same labels.</param>
/// <param name="Source">The origin remote's URL; empty when there is none.</param>
public sealed record ReleaseIdentity(string Version, string Commit, DateTimeOffset Created, string Source)
{
    /// <summary>The fingerprint of the uncommitted changes built on top of <see cref="Commit"/>; null for a clean tree.</summary>
    public string? Uncommitted { get; init; }

    /// <summary>
    /// The image tag that names the commit: its first 12 hex digits, and for uncommitted work the fingerprint too, so the
    /// commit's own tag never names content that was not committed.
    /// </summary>
    public string CommitTag => Uncommitted is null ? Commit[..12] : $"{Commit[..12]}-dirty-{Uncommitted}";
}

/// <summary>Where the release's artifacts go, relative to the repository root.</summary>
public static class ReleaseArtifacts
{
    /// <summary>The SBOMs: per image and per .NET project.</summary>
    public const string SbomDirectory = "artifacts/sbom";

    /// <summary>Each service's <c>dotnet publish</c> output, the image build's context.</summary>
    public const string PublishDirectory = "artifacts/publish";

    /// <summary>What each service's last successful build read and produced, so an unchanged one is skipped.</summary>
    public const string BuildStateDirectory = ".slipway/build-state";

    /// <summary>The packages Pack makes: a local folder feed.</summary>
    public const string PackagesDirectory = "artifacts/packages";

    /// <summary>The image SBOM of <paramref name="service"/>.</summary>
    public static string ImageSbom(string service) => $"{SbomDirectory}/{service}.image.cdx.json";

    /// <summary>The .NET project SBOM of <paramref name="service"/>.</summary>
    public static string ProjectSbom(string service) => $"{SbomDirectory}/{service}.project.cdx.json";
}
