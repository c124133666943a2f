namespace Slipway.GitHub.Workflows;

/// <summary>
/// A third-party action pinned by full commit SHA, with the release it is, so a moved tag cannot change what runs.
/// </summary>
/// <param name="Repository">owner/name, e.g. <c>actions/checkout</c>.</param>
/// <param name="Sha">The 40-hex commit the release tag pointed to.</param>
/// <param name="Version">The release, written as a comment beside the SHA (and what Renovate reads).</param>
public sealed record PinnedAction(string Repository, string Sha, string Version)
{
    /// <summary>The <c>uses:</c> value: <c>owner/name@sha</c>.</summary>
    public string Reference => $"{Repository}@{Sha}";
}

/// <summary>
/// The one place action versions are pinned. Every generated workflow takes its actions from here; to update one,
/// change its SHA and version here and run <c>./build.sh --target GenerateWorkflows</c>.
/// </summary>
public static class PinnedActions
{
    /// <summary>actions/checkout.</summary>
    public static PinnedAction Checkout { get; } = new("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2");

    /// <summary>actions/setup-dotnet.</summary>
    public static PinnedAction SetupDotNet { get; } = new("actions/setup-dotnet", "67a3573c9a986a3f9c594539f4ab511d57bb3ce9", "v4.3.1");

    /// <summary>actions/upload-artifact.</summary>
    public static PinnedAction UploadArtifact { get; } = new("actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2");

    /// <summary>actions/download-artifact.</summary>
    public static PinnedAction DownloadArtifact { get; } = new("actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0");

    /// <summary>sigstore/cosign-installer: the real cosign for Sign and Verify.</summary>
    public static PinnedAction CosignInstaller { get; } = new("sigstore/cosign-installer", "d58896d6a1865668819e1d91763c7751a165e159", "v3.9.2");

    /// <summary>Every pinned action.</summary>
    public static IReadOnlyList<PinnedAction> All { get; } = [Checkout, SetupDotNet, UploadArtifact, DownloadArtifact, CosignInstaller];
}
