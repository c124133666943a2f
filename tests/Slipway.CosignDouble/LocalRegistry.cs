using System.Net;
using System.Net.Http.Headers;

namespace Slipway.CosignDouble;

/// <summary>An image reference as cosign reads it: registry, repository, and a tag or a digest.</summary>
internal sealed record DoubleImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public string Text => Digest is null ? $"{Registry}/{Repository}:{Tag}" : $"{Registry}/{Repository}@{Digest}";

    public static DoubleImageReference Parse(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? reference : reference[..at];
        var digest = at < 0 ? null : reference[(at + 1)..];
        if (digest is not null && !(digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length == 71 && digest[7..].All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c))))
        {
            throw new DoubleFailure($"parsing reference: could not parse reference: {reference}");
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? string.Empty : name[..slash];
        var hasRegistry = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
        var registry = hasRegistry ? first : "index.docker.io";
        var path = hasRegistry ? name[(slash + 1)..] : name;
        string? tag = null;
        var colon = path.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = path[(colon + 1)..];
            path = path[..colon];
        }

        if (path.Length == 0)
        {
            throw new DoubleFailure($"parsing reference: could not parse reference: {reference}");
        }

        return new DoubleImageReference(registry, path, digest is null ? tag ?? "latest" : tag, digest);
    }
}

/// <summary>
/// Resolves a tag to its digest, as cosign does before signing or verifying a tag: HEAD on /v2/REPO/manifests/TAG.
/// A digest is taken as given, as cosign 2.5 does (it looks up only the digest's signatures). Only loopback
/// registries: the double must never send traffic off the machine.
/// </summary>
internal static class LocalRegistry
{
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    /// <summary>cosign's words for a tag the registry does not have.</summary>
    public static string NotFound(DoubleImageReference image) =>
        $"GET http://{image.Registry}/v2/{image.Repository}/manifests/{image.Tag}: MANIFEST_UNKNOWN: manifest unknown; map[Tag:{image.Tag}]";

    /// <summary>The digest the reference names, or the one its tag points at. Null when the registry says the tag does not exist.</summary>
    public static string? ResolveDigest(DoubleImageReference image)
    {
        var host = image.Registry.StartsWith('[') ? image.Registry[..(image.Registry.IndexOf(']', StringComparison.Ordinal) + 1)] : image.Registry.Split(':')[0];
        if (host is not ("127.0.0.1" or "localhost" or "[::1]"))
        {
            throw new DoubleFailure($"double only talks to local registries (127.0.0.1, localhost, [::1]); '{image.Registry}' is not one");
        }

        if (image.Digest is not null)
        {
            return image.Digest;
        }

        var url = new Uri($"http://{image.Registry}/v2/{image.Repository}/manifests/{image.Tag}");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        HttpResponseMessage response;
        try
        {
            response = client.Send(request);
        }
        catch (HttpRequestException e)
        {
            throw new DoubleFailure($"HEAD {url}: {e.Message}");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new DoubleFailure($"HEAD {url}: unexpected status code {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            return (response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : throw new DoubleFailure($"HEAD {url}: no Docker-Content-Digest header"));
        }
    }
}
