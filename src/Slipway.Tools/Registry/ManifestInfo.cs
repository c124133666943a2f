namespace Slipway.Tools.Registry;

/// <summary>What a registry says about one manifest.</summary>
/// <param name="Digest">The manifest digest, <c>sha256:…</c>: the <c>Docker-Content-Digest</c> header, or the sha256 of the body when a registry omits it.</param>
/// <param name="MediaType">The manifest's media type, e.g. <c>application/vnd.oci.image.manifest.v1+json</c>.</param>
/// <param name="ConfigDigest">The image config digest (<c>config.digest</c>) of a single-platform manifest; null for an index.</param>
public sealed record ManifestInfo(string Digest, string MediaType, string? ConfigDigest);

/// <summary>Credentials for a registry. The password stays a <see cref="Processes.Secret"/> so no message can print it.</summary>
/// <param name="Username">The user name.</param>
/// <param name="Password">The password or access token.</param>
public sealed record RegistryCredentials(string Username, Processes.Secret Password);
