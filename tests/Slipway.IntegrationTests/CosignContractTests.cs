using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Slipway.IntegrationTests.Support;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Cosign;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// Holds the cosign test double (kept for keyless signing, which needs Fulcio, Rekor and an OIDC token) to the real
/// cosign 2.5: the same key-mode scenarios, rendered by Slipway's own <see cref="CosignCli"/> where it has a method,
/// run against both on the real registry, each in a repository of its own. They must agree on the exit code, on
/// what goes to stdout and to stderr (stderr compared line by line, with the repository, digest and directories
/// named alike), and on the shape of stdout's JSON (keys and kinds, the signed in-toto statement included).
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed partial class CosignContractTests(DockerWorkspace workspace, ITestOutputHelper output)
{
    private static readonly Secret Password = new("contract-key-password-5c2e", "test");
    private static readonly CosignVersion V2 = new(2, 5, 0);

    private static string CosignDouble
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.CosignDouble", "bin", configuration, "net10.0", "cosign");
            return File.Exists(path) ? path : throw new FileNotFoundException("The cosign double is not built: " + path);
        }
    }

    [Fact]
    public async Task The_double_and_the_real_cosign_agree_on_exit_codes_streams_and_output_shape_in_key_mode()
    {
        var real = await RunScenariosAsync("real", DockerWorkspace.Cosign);
        var fake = await RunScenariosAsync("double", CosignDouble);

        Assert.Equal(real.Select(r => r.Name), fake.Select(r => r.Name));
        var disagreements = new List<string>();
        foreach (var (cosign, twin) in real.Zip(fake))
        {
            output.WriteLine($"{cosign.Name}: real exit {cosign.ExitCode}, double exit {twin.ExitCode}");
            if (cosign.ExitCode != twin.ExitCode)
            {
                disagreements.Add($"{cosign.Name}: exit code {cosign.ExitCode} (cosign) vs {twin.ExitCode} (double)");
            }

            if (cosign.Stderr != twin.Stderr)
            {
                disagreements.Add($"{cosign.Name}: stderr differs\n--- cosign:\n{cosign.Stderr}\n--- double:\n{twin.Stderr}");
            }

            if (cosign.StdoutShape != twin.StdoutShape)
            {
                disagreements.Add($"{cosign.Name}: stdout's shape differs\n--- cosign:\n{cosign.StdoutShape}\n--- double:\n{twin.StdoutShape}");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n\n", disagreements));

        // What the gate relies on, pinned on the real cosign's own results.
        Assert.Equal(
            [0, 10, 1, 0, 0, 12, 1, 0, 0, 1, 1, 1, 10, 11],
            real.Select(r => r.ExitCode));
        Assert.All(real.Where(r => r.ExitCode != 0), r => Assert.Empty(r.StdoutShape));
    }

    /// <summary>The scenarios, in order, against one cosign, in a repository of its own holding a copy of the api image.</summary>
    private async Task<List<Outcome>> RunScenariosAsync(string name, string cosign)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            var repository = $"{DockerWorkspace.Registry}/{workspace.Prefix}/cosign-contract-{name}";
            var digest = Push(repository);
            var image = $"{repository}@{digest}";
            var keys = Path.Combine(directory, "keys");
            var other = Path.Combine(directory, "other");
            Directory.CreateDirectory(keys);
            Directory.CreateDirectory(other);
            var sbom = Path.Combine(directory, "api.cdx.json");
            await File.WriteAllTextAsync(sbom, """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}""");
            var signing = CosignSigning.WithKey(Path.Combine(keys, "cosign.key"), Password, offline: true);
            var verification = CosignVerification.WithPublicKey(Path.Combine(keys, "cosign.pub"), offline: true);
            var otherKey = CosignVerification.WithPublicKey(Path.Combine(other, "cosign.pub"), offline: true);
            var neverPushed = $"{repository}@sha256:{new string('0', 63)}1";

            (string Name, ToolInvocation Invocation)[] scenarios =
            [
                ("generate-key-pair", CosignCli.GenerateKeyPair(Password, keys)),
                ("verify an unsigned digest", CosignCli.Verify(image, verification, V2)),
                ("verify-attestation of an unsigned digest", CosignCli.VerifyAttestation(image, CosignCli.CycloneDx, verification, V2)),
                ("sign", CosignCli.Sign(image, signing, V2)),
                ("verify", CosignCli.Verify(image, verification, V2)),
                ("verify with another key", CosignCli.Verify(image, otherKey, V2)),
                ("verify-attestation of a digest signed but not attested", CosignCli.VerifyAttestation(image, CosignCli.CycloneDx, verification, V2)),
                ("attest the SBOM", CosignCli.Attest(image, sbom, CosignCli.CycloneDx, signing, V2)),
                ("verify-attestation", CosignCli.VerifyAttestation(image, CosignCli.CycloneDx, verification, V2)),
                ("verify-attestation of another type", CosignCli.VerifyAttestation(image, "spdxjson", verification, V2)),
                ("verify-attestation with another key", CosignCli.VerifyAttestation(image, CosignCli.CycloneDx, otherKey, V2)),
                ("sign with a wrong password", CosignCli.Sign(image, CosignSigning.WithKey(Path.Combine(keys, "cosign.key"), new Secret("not-the-password", "test"), offline: true), V2)),
                ("verify a digest the registry does not hold", CosignCli.Verify(neverPushed, verification, V2)),
                ("verify a tag the registry does not hold", ToolInvocation.Of("cosign").WithArguments("verify", "--key", verification.PublicKeyReference, "--insecure-ignore-tlog=true", $"{repository}:no-such-tag")),
            ];

            // The other signer's key pair, made the same way, before the scenarios that use it.
            await RunAsync(cosign, CosignCli.GenerateKeyPair(Password, other), directory);
            var outcomes = new List<Outcome>();
            foreach (var (scenario, invocation) in scenarios)
            {
                var result = await RunAsync(cosign, invocation, directory);
                outcomes.Add(new Outcome(
                    scenario,
                    result.ExitCode,
                    Normalise(result.StandardError, repository, digest, directory),
                    Shape(result.StandardOutput)));
            }

            return outcomes;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<ToolResult> RunAsync(string cosign, ToolInvocation invocation, string directory)
    {
        var resolver = new ToolResolver(variable => variable == "SLIPWAY_COSIGN" ? cosign : Environment.GetEnvironmentVariable(variable));
        return await new ProcessRunner(resolver).RunAsync(
            invocation.WithEnvironment("COSIGN_DOUBLE_STATE", Path.Combine(directory, "double-state")).AcceptingAnyExitCode(),
            NullToolOutput.Instance,
            CancellationToken.None);
    }

    /// <summary>Pushes a copy of the workspace's api image to <paramref name="repository"/>; returns the digest the registry serves.</summary>
    private string Push(string repository)
    {
        var api = workspace.Release().Images.Single(i => i.Service == "api");
        workspace.Docker("tag", $"{api.Repository}:{api.Tag}", $"{repository}:contract");
        var pushed = workspace.Docker("push", $"{repository}:contract");
        return PushedDigest().Match(pushed) is { Success: true } match
            ? match.Groups["digest"].Value
            : throw new InvalidOperationException("docker push printed no digest:\n" + pushed);
    }

    /// <summary>The repository, the digest and the scratch directory named alike for both, so only real differences remain.</summary>
    private static string Normalise(string text, string repository, string digest, string directory) =>
        text.Replace(repository, "<repository>", StringComparison.Ordinal)
            .Replace(repository[(repository.IndexOf('/', StringComparison.Ordinal) + 1)..], "<repository path>", StringComparison.Ordinal)
            .Replace(digest["sha256:".Length..], "<digest>", StringComparison.Ordinal)
            .Replace(directory, "<directory>", StringComparison.Ordinal)
            .Replace("\r\n", "\n", StringComparison.Ordinal)
            .TrimEnd();

    /// <summary>
    /// stdout as the kinds of its JSON values, line by line (keys sorted, arrays by their first item, a DSSE envelope's
    /// base64 payload decoded); a line that is not JSON stays as it is, an empty line says so, trailing ones are dropped.
    /// </summary>
    private static string Shape(string stdout)
    {
        var lines = stdout.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
        return lines.Length == 0 ? string.Empty : string.Join('\n', lines.Split('\n').Select(l => l.Length == 0 ? "(empty line)" : ShapeOf(TryParse(l))));
    }

    private static JsonNode? TryParse(string line)
    {
        try
        {
            return JsonNode.Parse(line);
        }
        catch (JsonException)
        {
            return JsonValue.Create("text: " + line);
        }
    }

    private static string ShapeOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject envelope when envelope["payloadType"] is not null && envelope["payload"]?.GetValue<string>() is { } payload =>
            "{" + string.Join(",", envelope.Where(p => p.Key != "payload").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{ShapeOf(p.Value)}"))
                + ",payload(decoded):" + ShapeOf(JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)))) + "}",
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{ShapeOf(p.Value)}")) + "}",
        JsonArray array => "[" + (array.Count == 0 ? string.Empty : ShapeOf(array[0])) + "]",
        JsonValue value => value.GetValueKind().ToString(),
        _ => node.GetType().Name,
    };

    [GeneratedRegex(@"digest: (?<digest>sha256:[a-f0-9]{64})", RegexOptions.CultureInvariant)]
    private static partial Regex PushedDigest();

    private sealed record Outcome(string Name, int ExitCode, string Stderr, string StdoutShape);
}
