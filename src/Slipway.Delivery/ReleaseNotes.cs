using System.Globalization;
using System.Text;
namespace Slipway.Delivery;

/// <summary>
/// The Markdown notes of a GitHub Release, from what the pipeline produced: every image digest of
/// <c>artifacts/release.json</c>, the SBOM files, and where cosign keeps each image's signature and SBOM attestation.
/// Pure: the same inputs give the same text.
/// </summary>
public static class ReleaseNotes
{
    /// <summary>The in-toto predicate type the Sign target attests SBOMs with.</summary>
    private const string SbomPredicate = "cyclonedx";

    /// <summary>Renders the notes for <paramref name="release"/>.</summary>
    /// <param name="release">The published release.</param>
    /// <param name="sbomFiles">Every SBOM file produced (image and project), relative to the repository root.</param>
    public static string Render(ReleaseManifest release, IEnumerable<string> sbomFiles)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(sbomFiles);
        var images = release.Images.OrderBy(i => i.Service, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Release **{release.Version}**, built from commit `{release.Commit}` and published {release.Created.UtcDateTime:yyyy-MM-dd HH:mm} UTC to `{release.Registry}`.\n\n");

        text.Append("### Images\n\nDeploy and pull by digest; the tag is for people.\n\n| Service | Image | Digest |\n|---|---|---|\n");
        foreach (var image in images)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {image.Service} | `{image.Repository}:{image.Tag}` | `{image.Digest}` |\n");
        }

        var sboms = sbomFiles.Concat(images.Select(i => i.Sbom).OfType<string>()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        text.Append("\n### SBOMs (CycloneDX)\n\n");
        if (sboms.Count == 0)
        {
            text.Append("None were produced for this release.\n");
        }

        foreach (var sbom in sboms)
        {
            var of = images.FirstOrDefault(i => i.Sbom == sbom);
            text.Append(CultureInfo.InvariantCulture, $"- `{sbom}`{(of is null ? string.Empty : $" (image of {of.Service}, attested)")}\n");
        }

        text.Append("\n### Signatures and attestations\n\ncosign keeps them in the registry beside each image, under tags named after the digest:\n\n");
        text.Append("| Service | Signature | SBOM attestation |\n|---|---|---|\n");
        foreach (var image in images)
        {
            var tagged = $"{image.Repository}:{image.Digest.Replace(':', '-')}";
            text.Append(CultureInfo.InvariantCulture, $"| {image.Service} | `{tagged}.sig` | {(image.Sbom is null ? "none (no SBOM)" : $"`{tagged}.att` ({SbomPredicate})")} |\n");
        }

        text.Append("\nCheck one against the environment's policy before use:\n\n```sh\n");
        foreach (var image in images)
        {
            text.Append(CultureInfo.InvariantCulture, $"cosign verify {image.Reference} <policy flags>\n");
            if (image.Sbom is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"cosign verify-attestation --type {SbomPredicate} {image.Reference} <policy flags>\n");
            }
        }

        text.Append("```\n\n`<policy flags>`: `--key <public key>`, or `--certificate-identity … --certificate-oidc-issuer …` for keyless signatures (see the environment's `supply_chain.signing`).\n");
        return text.ToString();
    }
}
