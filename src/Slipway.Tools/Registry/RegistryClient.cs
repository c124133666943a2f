using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Slipway.Processes;

namespace Slipway.Tools.Registry;

/// <summary>
/// Reads from a registry over the OCI distribution API (v2), to confirm what a push produced without pulling
/// it. The <see cref="HttpClient"/> is injected and not owned: its lifetime, proxy and timeout are the caller's.
/// Authentication: HTTP Basic when credentials are given; on a Bearer challenge, one token request to the
/// challenge's realm and one retry.
/// </summary>
public sealed class RegistryClient
{
    /// <summary>Docker image manifest, schema 2.</summary>
    public const string DockerManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Docker manifest list (multi-platform).</summary>
    public const string DockerManifestListMediaType = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>OCI image manifest.</summary>
    public const string OciManifestMediaType = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>OCI image index (multi-platform).</summary>
    public const string OciIndexMediaType = "application/vnd.oci.image.index.v1+json";

    private const int BodyExcerptLength = 300;

    private readonly HttpClient _http;
    private readonly RegistryCredentials? _credentials;

    /// <summary>Creates a client for <paramref name="registry"/>.</summary>
    /// <param name="http">The HTTP client to send with.</param>
    /// <param name="registry">A registry host (<c>127.0.0.1:5000</c>, <c>ghcr.io</c>) or a full base address (<c>https://…</c>).</param>
    /// <param name="credentials">Credentials, or null for anonymous access.</param>
    public RegistryClient(HttpClient http, string registry, RegistryCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(registry);
        _http = http;
        _credentials = credentials;
        Registry = registry;
        BaseAddress = BaseAddressFor(registry);
    }

    /// <summary>The registry as given, for messages.</summary>
    public string Registry { get; }

    /// <summary>Where requests go, e.g. <c>http://127.0.0.1:5000/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// The base address for a registry host: <c>http://</c> for loopback and <c>localhost</c> (Docker itself
    /// treats those as insecure registries without configuration, so a local <c>registry:2</c> has no TLS),
    /// <c>https://</c> for everything else. An address that already has a scheme is kept.
    /// </summary>
    public static Uri BaseAddressFor(string registry)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registry);
        var text = registry.Trim().TrimEnd('/');
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new Uri(text + "/");
        }

        var probe = new Uri("http://" + text + "/");
        var local = probe.IsLoopback || string.Equals(probe.Host, "localhost", StringComparison.OrdinalIgnoreCase);
        return new Uri((local ? "http://" : "https://") + text + "/");
    }

    /// <summary>
    /// True when something answering the distribution API listens there: <c>GET /v2/</c> returns 200, or 401 (a
    /// registry that wants credentials is still a registry). False for other answers and for no answer.
    /// </summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, "v2/"));
            AddBasic(request);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout, not the caller: nothing answered in time.
            return false;
        }
    }

    /// <summary>
    /// <c>GET /v2/REPOSITORY/manifests/REFERENCE</c>, accepting Docker and OCI manifests and indexes. Null when the
    /// registry answers 404 (no such repository, tag or digest).
    /// </summary>
    /// <param name="repository">The repository inside the registry, e.g. <c>slipway/api</c>.</param>
    /// <param name="reference">A tag (<c>1.0.0</c>) or a digest (<c>sha256:…</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="RegistryRequestException">Any other status, no answer, or an unreadable manifest.</exception>
    public async Task<ManifestInfo?> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        if (await FetchManifestAsync(repository, reference, cancellationToken) is not var (response, body))
        {
            return null;
        }

        using (response)
        {
            return ReadManifest(repository, reference, response, body);
        }
    }

    /// <summary>
    /// What a pull of <c>REPOSITORY@REFERENCE</c> downloads, in bytes: the sizes of its config and layers as its manifest
    /// states them (compressed); for an index, those of its <c>linux/amd64</c> manifest, else its first. Null when the
    /// registry answers 404.
    /// </summary>
    /// <param name="repository">The repository inside the registry, e.g. <c>slipway/api</c>.</param>
    /// <param name="reference">A tag or a digest.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <exception cref="RegistryRequestException">Any other status, no answer, or a manifest without sizes.</exception>
    public async Task<long?> GetImageDownloadSizeAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        for (var hops = 0; hops < 2; hops++)
        {
            if (await FetchManifestAsync(repository, reference, cancellationToken) is not var (response, body))
            {
                return null;
            }

            using (response)
            {
                switch (ManifestSizes.Read(body))
                {
                    case ManifestSizes.Size size:
                        return size.Bytes;
                    case ManifestSizes.Platform platform when hops == 0:
                        reference = platform.Digest;
                        continue;
                    default:
                        throw new RegistryRequestException(
                            $"Registry {Registry} returned a manifest for {Describe(repository, reference)} that states no layer sizes.",
                            Registry, repository, reference, response.StatusCode);
                }
            }
        }

        return null;
    }

    /// <summary><c>GET /v2/REPOSITORY/manifests/REFERENCE</c> and its body; null on 404; a failure for any other status but 200.</summary>
    private async Task<(HttpResponseMessage Response, byte[] Body)?> FetchManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        var response = await SendAsync(() => ManifestRequest(HttpMethod.Get, repository, reference), repository, reference, cancellationToken);

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            response.Dispose();
            throw Failure(repository, reference, response.StatusCode, Excerpt(body));
        }

        return (response, body);
    }

    /// <summary>
    /// Gives the manifest <paramref name="digest"/> of <paramref name="repository"/> the tag <paramref name="tag"/> inside the
    /// registry: <c>GET</c> its exact bytes, <c>PUT</c> them under the tag (what <c>crane tag</c> and <c>regctl image copy</c>
    /// do). No layer moves and no second <c>docker push</c> runs, and the tag names the very same manifest digest.
    /// </summary>
    /// <param name="repository">The repository inside the registry, e.g. <c>slipway/api</c>.</param>
    /// <param name="digest">The manifest digest (<c>sha256:…</c>) the tag is to name.</param>
    /// <param name="tag">The new tag.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The digest the registry answered for the tagged manifest.</returns>
    /// <exception cref="RegistryRequestException">The manifest is missing, or the registry refused the tag.</exception>
    public async Task<string> TagAsync(string repository, string digest, string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(digest);
        CheckReference(repository, tag);
        if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || tag.Contains(':', StringComparison.Ordinal) || tag.Contains('+', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Tag '{tag}' for '{digest}': expected a sha256 digest and a tag without ':' or '+'.", nameof(tag));
        }

        using var source = await SendAsync(() => ManifestRequest(HttpMethod.Get, repository, digest), repository, digest, cancellationToken);
        var body = await source.Content.ReadAsByteArrayAsync(cancellationToken);
        if (source.StatusCode != HttpStatusCode.OK)
        {
            throw Failure(repository, digest, source.StatusCode, Excerpt(body));
        }

        var mediaType = ReadManifest(repository, digest, source, body).MediaType;
        using var put = await SendAsync(
            () =>
            {
                var request = ManifestRequest(HttpMethod.Put, repository, tag);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return request;
            },
            repository,
            tag,
            cancellationToken);
        if (put.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            throw Failure(repository, tag, put.StatusCode, Excerpt(await put.Content.ReadAsByteArrayAsync(cancellationToken)));
        }

        return put.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { Length: > 0 } answered ? answered : digest;
    }

    private static void CheckReference(string repository, string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (!repository.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/'))
        {
            throw new ArgumentException($"'{repository}' is not a repository name: use lowercase letters, digits, '.', '_', '-' and '/'.", nameof(repository));
        }

        if (!reference.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '+'))
        {
            throw new ArgumentException($"'{reference}' is neither a tag nor a digest.", nameof(reference));
        }
    }

    /// <summary>A request for <c>/v2/REPOSITORY/manifests/REFERENCE</c> that accepts Docker and OCI manifests and indexes.</summary>
    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        CheckReference(repository, reference);
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, $"v2/{repository}/manifests/{reference}"));
        foreach (var mediaType in (string[])[DockerManifestMediaType, OciManifestMediaType, DockerManifestListMediaType, OciIndexMediaType])
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        return request;
    }

    private ManifestInfo ReadManifest(string repository, string reference, HttpResponseMessage response, byte[] body)
    {
        string? bodyMediaType = null;
        string? configDigest = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                bodyMediaType = root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                configDigest = root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
                    && config.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String
                        ? d.GetString()
                        : null;
            }
        }
        catch (JsonException e)
        {
            throw new RegistryRequestException(
                $"Registry {Registry} returned a manifest for {Describe(repository, reference)} that is not JSON: {e.Message}",
                Registry, repository, reference, response.StatusCode, e);
        }

        // The header is the registry's own answer; the body hash is the same value by definition (the digest is
        // the sha256 of exactly these bytes), which is why it is a safe fallback for registries that omit it.
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { Length: > 0 } header
            ? header
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));

        // Content-Type is authoritative, but some registries send application/json; the body then says what it is.
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var mediaType = contentType is not null && contentType.StartsWith("application/vnd.", StringComparison.Ordinal)
            ? contentType
            : bodyMediaType ?? contentType
                ?? throw new RegistryRequestException(
                    $"Registry {Registry} returned a manifest for {Describe(repository, reference)} with no media type in its Content-Type or body.",
                    Registry, repository, reference, response.StatusCode);

        return new ManifestInfo(digest, mediaType, configDigest);
    }

    /// <summary>Sends with Basic credentials; after a Bearer challenge, fetches a token and retries once.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string repository, string reference, CancellationToken cancellationToken)
    {
        using var first = create();
        AddBasic(first);
        var response = await Send(first, repository, reference, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenge = response.Headers.WwwAuthenticate
            .Where(h => string.Equals(h.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
            .Select(h => BearerChallenge.Parse(h.Parameter))
            .FirstOrDefault(c => c is not null);
        if (challenge is null)
        {
            response.Dispose();
            throw Failure(
                repository,
                reference,
                HttpStatusCode.Unauthorized,
                _credentials is null ? "The registry wants credentials and none were given." : $"The registry refused the credentials of user '{_credentials.Username}'.");
        }

        response.Dispose();
        var token = await FetchTokenAsync(challenge, repository, reference, cancellationToken);
        using var retry = create();
        retry.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());
        response = await Send(retry, repository, reference, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw Failure(repository, reference, HttpStatusCode.Unauthorized, $"The registry refused the token from {challenge.Realm} for scope '{challenge.Scope}'.");
        }

        return response;
    }

    private async Task<Secret> FetchTokenAsync(BearerChallenge challenge, string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, challenge.TokenUri());
        AddBasic(request);
        using var response = await Send(request, repository, reference, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RegistryRequestException(
                $"The token service {challenge.Realm} of registry {Registry} answered {(int)response.StatusCode} ({response.StatusCode}) for scope '{challenge.Scope}' while reading {Describe(repository, reference)}. {(_credentials is null ? "No credentials were given; the registry may need them." : "Check the registry credentials.")}",
                Registry, repository, reference, response.StatusCode);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            // The token-auth spec names it "token"; OAuth2-style services send "access_token" instead.
            foreach (var name in (string[])["token", "access_token"])
            {
                if (document.RootElement.TryGetProperty(name, out var token) && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } value)
                {
                    return new Secret(value, $"registry token for {Registry}");
                }
            }
        }
        catch (JsonException)
        {
            // Reported below with the same message as a body without a token.
        }

        throw new RegistryRequestException(
            $"The token service {challenge.Realm} of registry {Registry} answered without a token while reading {Describe(repository, reference)}.",
            Registry, repository, reference, response.StatusCode);
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, string repository, string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryRequestException(
                $"Could not reach registry {Registry} ({request.RequestUri}) while reading {Describe(repository, reference)}: {e.Message}. Check that the registry is running and the address is right.",
                Registry, repository, reference, null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryRequestException(
                $"Registry {Registry} did not answer within {_http.Timeout.TotalSeconds:0} s ({request.RequestUri}) while reading {Describe(repository, reference)}.",
                Registry, repository, reference, null, e);
        }
    }

    private void AddBasic(HttpRequestMessage request)
    {
        if (_credentials is not null)
        {
            var pair = Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password.Reveal()}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(pair));
        }
    }

    private RegistryRequestException Failure(string repository, string reference, HttpStatusCode status, string detail) =>
        new(
            $"Registry {Registry} answered {(int)status} ({status}) for manifest {Describe(repository, reference)}.{(detail.Length > 0 ? " " + detail : string.Empty)}",
            Registry, repository, reference, status);

    /// <summary><c>repo:tag</c> or <c>repo@sha256:…</c>, as people write references.</summary>
    private static string Describe(string repository, string reference) =>
        reference.Contains(':', StringComparison.Ordinal) ? $"{repository}@{reference}" : $"{repository}:{reference}";

    private static string Excerpt(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, BodyExcerptLength)).Trim();
        return text.Length == 0 ? string.Empty : "Body: " + text;
    }
}
