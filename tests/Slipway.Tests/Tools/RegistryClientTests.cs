using System.Net;
using System.Security.Cryptography;
using System.Text;
using Slipway.Processes;
using Slipway.Tools.Registry;

namespace Slipway.Tests.Tools;

/// <summary>The registry client against an in-process HTTP server that plays a registry.</summary>
public sealed class RegistryClientTests
{
    private const string ConfigDigest = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7";
    private const string HeaderDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    // A schema-2 manifest as registry:2 serves it, trimmed to one layer.
    private static readonly string Manifest = $$"""
        {
           "schemaVersion": 2,
           "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1470, "digest": "{{ConfigDigest}}" },
           "layers": [ { "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3623807, "digest": "sha256:c6a83fedfae6ed8a4f5f7cbb6a7b6f1c1ec3d86fea8cb9e5ba2e5e6f3b4d0a11" } ]
        }
        """;

    private static readonly string Index = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":500,"platform":{"architecture":"amd64","os":"linux"}}]}
        """;

    private static CannedResponse ManifestAnswer(string body, string contentType, string? digest) =>
        new(200, body, contentType, digest is null ? null : new Dictionary<string, string> { ["Docker-Content-Digest"] = digest });

    [Fact]
    public async Task A_tag_is_put_on_the_exact_manifest_bytes_inside_the_registry_and_a_refusal_names_the_tag()
    {
        await using var server = new LocalHttpServer(r => (r.Method, r.PathAndQuery) switch
        {
            ("GET", "/v2/slipway/api/manifests/" + HeaderDigest) => ManifestAnswer(Manifest, RegistryClient.DockerManifestMediaType, HeaderDigest),
            ("PUT", "/v2/slipway/api/manifests/abc123def456") => new CannedResponse(201, string.Empty, null, new Dictionary<string, string> { ["Docker-Content-Digest"] = HeaderDigest }),
            ("PUT", _) => new CannedResponse(403, """{"errors":[{"code":"DENIED","message":"tag is immutable"}]}""", "application/json"),
            _ => new CannedResponse(404),
        });
        using var http = new HttpClient();
        var client = new RegistryClient(http, server.Host);

        Assert.Equal(HeaderDigest, await client.TagAsync("slipway/api", HeaderDigest, "abc123def456"));
        var put = server.Requests.Single(r => r.Method == "PUT");
        Assert.Equal(Manifest, put.Body);

        var refused = await Assert.ThrowsAsync<RegistryRequestException>(() => client.TagAsync("slipway/api", HeaderDigest, "1.0.0"));
        Assert.Contains("slipway/api:1.0.0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("tag is immutable", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RegistryRequestException>(() => client.TagAsync("slipway/api", ConfigDigest, "abc"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.TagAsync("slipway/api", "latest", "abc"));
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("ghcr.io", "https://ghcr.io/")]
    [InlineData("registry.example.test:8443", "https://registry.example.test:8443/")]
    [InlineData("http://10.0.0.5:5000/", "http://10.0.0.5:5000/")]
    public void Loopback_registries_are_plain_http_and_the_rest_https(string registry, string expected) =>
        Assert.Equal(expected, RegistryClient.BaseAddressFor(registry).ToString());

    [Fact]
    public async Task A_manifest_is_read_with_its_digest_header_media_type_and_config_digest()
    {
        await using var server = new LocalHttpServer(r => r.PathAndQuery == "/v2/slipway/api/manifests/1.0.0"
            ? ManifestAnswer(Manifest, RegistryClient.DockerManifestMediaType, HeaderDigest)
            : new CannedResponse(404));
        using var http = new HttpClient();

        var manifest = await new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "1.0.0");

        Assert.Equal(new ManifestInfo(HeaderDigest, RegistryClient.DockerManifestMediaType, ConfigDigest), manifest);
        var accept = server.Requests.Single().Accept!;
        foreach (var mediaType in (string[])[RegistryClient.DockerManifestMediaType, RegistryClient.OciManifestMediaType, RegistryClient.DockerManifestListMediaType, RegistryClient.OciIndexMediaType])
        {
            Assert.Contains(mediaType, accept, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_a_digest_header_the_digest_is_the_sha256_of_the_body()
    {
        await using var server = new LocalHttpServer(_ => ManifestAnswer(Manifest, "application/json", digest: null));
        using var http = new HttpClient();

        var manifest = await new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "1.0.0");

        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Manifest))), manifest!.Digest);
        Assert.Equal(RegistryClient.DockerManifestMediaType, manifest.MediaType);
    }

    [Fact]
    public async Task The_download_size_of_an_image_is_its_config_and_layers_and_an_index_is_followed_to_linux_amd64()
    {
        await using var server = new LocalHttpServer(r => r.PathAndQuery switch
        {
            "/v2/slipway/api/manifests/1.0.0" => ManifestAnswer(Manifest, RegistryClient.DockerManifestMediaType, HeaderDigest),
            "/v2/slipway/worker/manifests/1.0.0" => ManifestAnswer(Index, RegistryClient.OciIndexMediaType, HeaderDigest),
            "/v2/slipway/worker/manifests/sha256:2222222222222222222222222222222222222222222222222222222222222222" => ManifestAnswer(Manifest, RegistryClient.OciManifestMediaType, null),
            _ => new CannedResponse(404),
        });
        using var http = new HttpClient();
        var client = new RegistryClient(http, server.Host);

        Assert.Equal(1470 + 3623807, await client.GetImageDownloadSizeAsync("slipway/api", "1.0.0"));
        Assert.Equal(1470 + 3623807, await client.GetImageDownloadSizeAsync("slipway/worker", "1.0.0"));
        Assert.Null(await client.GetImageDownloadSizeAsync("slipway/gone", "1.0.0"));
    }

    [Fact]
    public async Task A_manifest_without_sizes_is_a_failure_that_names_the_image()
    {
        await using var server = new LocalHttpServer(_ => ManifestAnswer("""{"schemaVersion":2,"layers":[{"digest":"sha256:00"}]}""", RegistryClient.OciManifestMediaType, HeaderDigest));
        using var http = new HttpClient();

        var failure = await Assert.ThrowsAsync<RegistryRequestException>(() => new RegistryClient(http, server.Host).GetImageDownloadSizeAsync("slipway/api", "1.0.0"));

        Assert.Contains("slipway/api", failure.Message, StringComparison.Ordinal);
        Assert.Contains("states no layer sizes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_index_has_no_config_digest()
    {
        await using var server = new LocalHttpServer(_ => ManifestAnswer(Index, RegistryClient.OciIndexMediaType, HeaderDigest));
        using var http = new HttpClient();

        var manifest = await new RegistryClient(http, server.Host).GetManifestAsync("slipway/worker", HeaderDigest);

        Assert.Equal(RegistryClient.OciIndexMediaType, manifest!.MediaType);
        Assert.Null(manifest.ConfigDigest);
        Assert.Equal($"/v2/slipway/worker/manifests/{HeaderDigest}", server.Requests.Single().PathAndQuery);
    }

    [Fact]
    public async Task A_missing_manifest_is_null()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(404, """{"errors":[{"code":"MANIFEST_UNKNOWN"}]}""", "application/json"));
        using var http = new HttpClient();

        Assert.Null(await new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "nope"));
    }

    [Fact]
    public async Task A_server_error_names_registry_repository_reference_and_status()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(500, "storage backend down", "text/plain"));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "1.0.0"));

        Assert.Equal($"Registry {server.Host} answered 500 (InternalServerError) for manifest slipway/api:1.0.0. Body: storage backend down", error.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal(("slipway/api", "1.0.0"), (error.Repository, error.Reference));
    }

    [Fact]
    public async Task A_bearer_challenge_fetches_a_token_with_the_basic_credentials_and_retries_once()
    {
        var password = new Secret("registry-pass-4711", "test");
        const string Token = "token-for-api-pull-0815";
        LocalHttpServer? self = null;
        await using var server = new LocalHttpServer(r => r switch
        {
            { PathAndQuery: var p } when p.StartsWith("/token", StringComparison.Ordinal) =>
                r.Authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ci:registry-pass-4711"))
                    ? new CannedResponse(200, $$"""{"token":"{{Token}}","expires_in":300}""", "application/json")
                    : new CannedResponse(401),
            { Authorization: "Bearer " + Token } => ManifestAnswer(Manifest, RegistryClient.DockerManifestMediaType, HeaderDigest),
            _ => new CannedResponse(401, "", null, new Dictionary<string, string>
            {
                ["WWW-Authenticate"] = $"Bearer realm=\"http://{self!.Host}/token\",service=\"local-registry\",scope=\"repository:slipway/api:pull,push\"",
            }),
        });
        self = server;
        using var http = new HttpClient();

        var manifest = await new RegistryClient(http, server.Host, new RegistryCredentials("ci", password)).GetManifestAsync("slipway/api", "1.0.0");

        Assert.Equal(HeaderDigest, manifest!.Digest);
        Assert.Equal(
            ["/v2/slipway/api/manifests/1.0.0", "/token?service=local-registry&scope=repository%3Aslipway%2Fapi%3Apull%2Cpush", "/v2/slipway/api/manifests/1.0.0"],
            server.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task A_token_the_registry_still_refuses_is_not_retried_again()
    {
        LocalHttpServer? self = null;
        await using var server = new LocalHttpServer(r => r.PathAndQuery.StartsWith("/token", StringComparison.Ordinal)
            ? new CannedResponse(200, """{"access_token":"useless-token-31337"}""", "application/json")
            : new CannedResponse(401, "", null, new Dictionary<string, string> { ["WWW-Authenticate"] = $"Bearer realm=\"http://{self!.Host}/token\",scope=\"repository:slipway/api:pull\"" }));
        self = server;
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "1.0.0"));

        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("answered 401 (Unauthorized) for manifest slipway/api:1.0.0", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused the token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("useless-token-31337", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_basic_challenge_without_credentials_says_credentials_are_needed()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(401, "", null, new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"registry\"" }));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => new RegistryClient(http, server.Host).GetManifestAsync("slipway/api", "1.0.0"));

        Assert.Contains("wants credentials and none were given", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(401, true)]
    [InlineData(404, false)]
    public async Task Ping_recognises_a_registry_by_200_or_401(int status, bool expected)
    {
        await using var server = new LocalHttpServer(r => r.PathAndQuery == "/v2/" ? new CannedResponse(status, "{}") : new CannedResponse(500));
        using var http = new HttpClient();

        Assert.Equal(expected, await new RegistryClient(http, server.Host).PingAsync());
    }

    [Fact]
    public async Task Ping_of_a_port_where_nothing_listens_is_false_and_a_manifest_read_says_so()
    {
        int port;
        await using (var closed = new LocalHttpServer(_ => new CannedResponse(200)))
        {
            port = closed.Port;
        }

        using var http = new HttpClient();
        var client = new RegistryClient(http, $"127.0.0.1:{port}");

        Assert.False(await client.PingAsync());
        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => client.GetManifestAsync("slipway/api", "1.0.0"));
        Assert.Contains($"Could not reach registry 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public void A_bearer_challenge_with_commas_inside_quotes_is_read_whole()
    {
        var challenge = BearerChallenge.Parse("realm=\"https://auth.example.test/token\", service=\"registry.example.test\",scope=\"repository:a/b:pull,push\"");

        Assert.Equal(new BearerChallenge("https://auth.example.test/token", "registry.example.test", "repository:a/b:pull,push"), challenge);
        Assert.Null(BearerChallenge.Parse("service=\"x\""));
    }
}
