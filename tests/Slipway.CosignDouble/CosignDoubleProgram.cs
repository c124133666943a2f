using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.CosignDouble;

/// <summary>
/// The commands of the cosign TEST DOUBLE (see README.md). Each follows cosign's command line, its stdout/stderr
/// split, its messages and its exit codes (cmd/cosign/errors: 10 no signature, 11 no such tag, 12 no matching
/// signature), as the real cosign 2.5.0 gives them; CosignContractTests (integration tests) hold it to that.
/// </summary>
public static class CosignDoubleProgram
{
    private const string DefaultVersion = "v2.5.0";

    // The predicate type URIs cosign writes for its short --type names.
    private static readonly Dictionary<string, string> PredicateTypeUris = new(StringComparer.Ordinal)
    {
        ["cyclonedx"] = "https://cyclonedx.org/bom",
        ["spdxjson"] = "https://spdx.dev/Document",
        ["spdx"] = "https://spdx.dev/Document",
        ["slsaprovenance"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance02"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance1"] = "https://slsa.dev/provenance/v1",
        ["link"] = "https://in-toto.io/Link/v1",
        ["vuln"] = "https://cosign.sigstore.dev/attestation/vuln/v1",
        ["openvex"] = "https://openvex.dev/ns",
        ["custom"] = "https://cosign.sigstore.dev/attestation/v1",
    };

    /// <summary>Runs one cosign command; returns its exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, string currentDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        var version = environment("COSIGN_DOUBLE_VERSION") is { Length: > 0 } v ? v : DefaultVersion;
        var context = new Context(version, Major(version), stdout, stderr, environment, currentDirectory);
        try
        {
            var rest = args.Skip(1);
            switch (args.FirstOrDefault())
            {
                case "version":
                    return PrintVersion(context);
                case "generate-key-pair":
                    DoubleKeys.Generate(currentDirectory, environment("COSIGN_PASSWORD") ?? throw new DoubleFailure("COSIGN_PASSWORD is not set: cosign would prompt for a password, and the double cannot"), stderr);
                    return 0;
                case "sign":
                    return Sign(context, rest, attest: false);
                case "attest":
                    return Sign(context, rest, attest: true);
                case "verify":
                    return Verify(context, rest, attestationType: null);
                case "verify-attestation":
                    return Verify(context, rest, attestationType: string.Empty);
                case null:
                    throw new DoubleFailure("no command given (this is a test double of cosign: version, generate-key-pair, sign, attest, verify, verify-attestation)");
                default:
                    throw new DoubleFailure($"unknown command \"{args[0]}\" for \"cosign\"");
            }
        }
        catch (DoubleFailure failure)
        {
            stderr.WriteLine($"Error: {failure.Message}");
            stderr.WriteLine($"error during command execution: {failure.Message}");
            return failure.ExitCode;
        }
    }

    private static int PrintVersion(Context context)
    {
        context.Stdout.WriteLine("cosign-double: a TEST DOUBLE of cosign for Slipway's tests. It signs nothing for real.");
        context.Stdout.WriteLine();
        context.Stdout.WriteLine($"GitVersion:    {context.Version}-double");
        context.Stdout.WriteLine("GitCommit:     none");
        context.Stdout.WriteLine("GitTreeState:  clean");
        context.Stdout.WriteLine("BuildDate:     none");
        context.Stdout.WriteLine($"GoVersion:     none (.NET {Environment.Version})");
        context.Stdout.WriteLine("Compiler:      dotnet");
        context.Stdout.WriteLine($"Platform:      {(OperatingSystem.IsLinux() ? "linux" : "other")}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}");
        return 0;
    }

    private static int Sign(Context context, IEnumerable<string> arguments, bool attest)
    {
        var command = attest ? "attest" : "sign";
        HashSet<string> strings = attest ? ["key", "type", "predicate"] : ["key"];
        HashSet<string> bools = ["yes", "tlog-upload"];
        if (context.Major >= 3)
        {
            bools.Add("use-signing-config");
        }

        var line = DoubleCommandLine.Parse(arguments, strings, bools);
        var tlogUpload = line.Flag("tlog-upload", byDefault: true);
        if (context.Major >= 3 && line.Has("tlog-upload"))
        {
            context.Stderr.WriteLine("Flag --tlog-upload has been deprecated, prefer using a --signing-config file with no transparency log services");
        }

        // cosign v3 reads a signing config from TUF by default, and that config names a transparency log.
        if (context.Major >= 3 && line.Flag("use-signing-config", byDefault: true) && !tlogUpload)
        {
            throw new DoubleFailure("--tlog-upload=false is not supported with --signing-config or --use-signing-config. Provide a signing config with --signing-config without a transparency log service, which can be created with `cosign signing-config create`");
        }

        var text = line.SingleImage(command);
        var image = DoubleImageReference.Parse(text);
        if (attest)
        {
            // cosign names the predicate file before it reads it, so this line comes even when reading fails.
            context.Stderr.WriteLine($"Using payload from: {line.Value("predicate")}");
        }

        if (image.Digest is null)
        {
            context.Stderr.WriteLine($"WARNING: Image reference {text} uses a tag, not a digest, to identify the image to sign.");
            context.Stderr.WriteLine("    This can lead you to sign a different image than the intended one. Please use a");
            context.Stderr.WriteLine("    digest (example.com/ubuntu@sha256:abc123...) rather than tag");
            context.Stderr.WriteLine("    (example.com/ubuntu:latest) for the input to cosign. The ability to refer to");
            context.Stderr.WriteLine("    images by tag will be removed in a future release.");
            context.Stderr.WriteLine();
        }

        var store = context.Store();
        var predicateType = attest ? PredicateTypeUri(line.Value("type") ?? "custom") : null;
        var predicate = attest ? ReadPredicate(line.Value("predicate"), line.Value("type") ?? "custom", context.CurrentDirectory) : null;
        StoredSignature signer;
        try
        {
            signer = line.Value("key") is { } key
                ? new StoredSignature(DoubleKeys.PrivateFingerprint(Resolve(key, context.CurrentDirectory), context.Environment("COSIGN_PASSWORD"), context.Environment), null, null, tlogUpload)
                : KeylessSigner(context, tlogUpload);
        }
        catch (DoubleFailure failure)
        {
            // cosign names what it was signing before the reason: "signing [REF]: " for sign, "signing REF: " for attest.
            throw new DoubleFailure(attest ? $"signing {text}: {failure.Message}" : $"signing [{text}]: {failure.Message}", failure.ExitCode);
        }

        if (tlogUpload && !line.Flag("yes", byDefault: false))
        {
            // cosign asks "Are you sure you would like to continue? [y/N]" before writing to the public log; with
            // no terminal the answer is EOF, which it treats as no.
            throw new DoubleFailure($"signing [{text}]: no confirmation: cosign asks before uploading to the transparency log; pass --yes");
        }

        // As cosign: a digest is signed as given (its manifest is not looked up); a tag is resolved first.
        var digest = LocalRegistry.ResolveDigest(image)
            ?? throw new DoubleFailure($"signing [{text}]: accessing entity: entity not found in registry, error: {LocalRegistry.NotFound(image)}");
        var stored = store.Load(image, digest);
        stored = attest
            ? stored with { Attestations = [.. stored.Attestations, signer with { PredicateType = predicateType, Predicate = predicate }] }
            : stored with { Signatures = [.. stored.Signatures.Where(s => s != signer), signer] };
        store.Save(image, digest, stored);
        if (tlogUpload)
        {
            context.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tlog entry created with index: {Random.Shared.Next(1_000_000, 9_999_999)} (simulated by the test double)"));
        }

        if (!attest)
        {
            context.Stderr.WriteLine($"Pushing signature to: {image.Registry}/{image.Repository}");
        }

        return 0;
    }

    private static StoredSignature KeylessSigner(Context context, bool tlogUpload)
    {
        var identity = context.Environment("SLIPWAY_COSIGN_DOUBLE_IDENTITY");
        var issuer = context.Environment("SLIPWAY_COSIGN_DOUBLE_ISSUER");
        return string.IsNullOrEmpty(identity) || string.IsNullOrEmpty(issuer)
            ? throw new DoubleFailure("getting signer: getting key from Fulcio: no OIDC identity (the double reads SLIPWAY_COSIGN_DOUBLE_IDENTITY and SLIPWAY_COSIGN_DOUBLE_ISSUER in place of the CI's token)")
            : new StoredSignature(null, identity, issuer, tlogUpload);
    }

    private static JsonNode ReadPredicate(string? path, string type, string currentDirectory)
    {
        if (path is null)
        {
            throw new DoubleFailure("--predicate is required");
        }

        var full = Resolve(path, currentDirectory);
        if (!File.Exists(full))
        {
            throw new DoubleFailure($"open {path}: no such file or directory");
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(full));
        }
        catch (JsonException e)
        {
            throw new DoubleFailure($"invalid predicate {path}: not JSON: {e.Message}");
        }

        // Real cosign only wraps the file; the double also checks it is a CycloneDX BOM, so a pipeline that
        // attests the wrong file is caught in tests.
        var bomFormat = json is JsonObject bom && bom["bomFormat"] is JsonValue format && format.TryGetValue<string>(out var text) ? text : null;
        if (type == "cyclonedx" && bomFormat != "CycloneDX")
        {
            throw new DoubleFailure($"invalid predicate {path}: --type cyclonedx needs a CycloneDX BOM (\"bomFormat\": \"CycloneDX\")");
        }

        return json ?? throw new DoubleFailure($"invalid predicate {path}: empty");
    }

    private static int Verify(Context context, IEnumerable<string> arguments, string? attestationType)
    {
        var attestations = attestationType is not null;
        HashSet<string> strings = ["key", "certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer"];
        if (attestations)
        {
            strings.Add("type");
        }

        var line = DoubleCommandLine.Parse(arguments, strings, new HashSet<string>(StringComparer.Ordinal) { "insecure-ignore-tlog" });
        var key = line.Value("key");
        var identity = line.Value("certificate-identity") is { } exact
            ? IdentityMatcher.Exact(exact)
            : line.Value("certificate-identity-regexp") is { } pattern ? IdentityMatcher.Regexp(pattern) : null;
        var issuer = line.Value("certificate-oidc-issuer");
        if (key is null && identity is null)
        {
            throw new DoubleFailure("--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode");
        }

        if (key is null && issuer is null)
        {
            throw new DoubleFailure("--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode");
        }

        var ignoreTlog = line.Flag("insecure-ignore-tlog", byDefault: false);
        if (ignoreTlog)
        {
            context.Stderr.WriteLine($"WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the {(attestations ? "attestation" : "signature")}.");
        }

        var text = line.SingleImage(attestations ? "verify-attestation" : "verify");
        var image = DoubleImageReference.Parse(text);
        var store = context.Store();
        var fingerprint = key is null ? null : DoubleKeys.PublicFingerprint(Resolve(key, context.CurrentDirectory), context.Environment);
        // As cosign: a digest is not looked up (one the registry lacks has no signatures either: exit 10); a tag is.
        var digest = LocalRegistry.ResolveDigest(image)
            ?? throw new DoubleFailure($"image tag not found: {LocalRegistry.NotFound(image)}", DoubleFailure.NonExistentTag);
        var stored = store.Load(image, digest);
        var candidates = attestations ? stored.Attestations : stored.Signatures;
        if (!attestations && candidates.Count == 0)
        {
            throw new DoubleFailure("no signatures found", DoubleFailure.ImageWithoutSignature);
        }

        var reasons = new List<string>();
        var matched = candidates.Where(c => Mismatch(c, fingerprint, identity, issuer, ignoreTlog) is not { } reason || Reject(reasons, reason)).ToList();
        if (matched.Count == 0)
        {
            // For attestations cosign reports a key mismatch as a failed threshold, not the signature error.
            if (attestations && fingerprint is not null && candidates.Count > 0)
            {
                reasons = [$"accepted signatures do not match threshold, Found: 0, Expected 1"];
            }

            throw attestations
                ? new DoubleFailure($"no matching attestations: {string.Join("\n ", reasons)}")
                : new DoubleFailure($"no matching signatures: {string.Join("\n ", reasons)}", DoubleFailure.NoMatchingSignature);
        }

        if (attestations)
        {
            var wanted = PredicateTypeUri(line.Value("type") ?? "custom");
            var ofType = matched.Where(a => a.PredicateType == wanted).ToList();
            if (ofType.Count == 0)
            {
                throw new DoubleFailure($"none of the attestations matched the predicate type: {line.Value("type") ?? "custom"}, found: {string.Join(",", matched.Select(a => a.PredicateType).Distinct())}");
            }

            matched = ofType;
        }

        PrintChecks(context, text, key is not null, matched.All(m => m.InTransparencyLog) && !ignoreTlog);
        if (attestations)
        {
            foreach (var attestation in matched)
            {
                context.Stdout.WriteLine(Envelope(image, digest, attestation));
            }
        }
        else
        {
            // cosign 2.5 prints an empty line before the payloads.
            context.Stdout.WriteLine();
            context.Stdout.WriteLine(new JsonArray([.. matched.Select(s => SimpleSigningPayload(context, image, digest, s))]).ToJsonString());
        }

        return 0;
    }

    private static bool Reject(List<string> reasons, string reason)
    {
        reasons.Add(reason);
        return false;
    }

    private static string? Mismatch(StoredSignature signature, string? fingerprint, IdentityMatcher? identity, string? issuer, bool ignoreTlog)
    {
        if (fingerprint is not null && signature.Fingerprint != fingerprint)
        {
            return "invalid signature when validating ASN.1 encoded signature";
        }

        if (fingerprint is null && signature.Identity is null)
        {
            return "no certificate found on signature";
        }

        if (fingerprint is null && (identity?.Matches(signature.Identity) != true || signature.Issuer != issuer))
        {
            return $"none of the expected identities matched what was in the certificate, got subjects [{signature.Identity}] with issuer {signature.Issuer}";
        }

        return !ignoreTlog && !signature.InTransparencyLog ? "signature not found in transparency log" : null;
    }

    private static void PrintChecks(Context context, string reference, bool withKey, bool inTransparencyLog)
    {
        context.Stderr.WriteLine();
        context.Stderr.WriteLine($"Verification for {reference} --");
        context.Stderr.WriteLine("The following checks were performed on each of these signatures:");
        context.Stderr.WriteLine("  - The cosign claims were validated");
        if (inTransparencyLog)
        {
            context.Stderr.WriteLine("  - Existence of the claims in the transparency log was verified offline");
        }

        context.Stderr.WriteLine(withKey
            ? "  - The signatures were verified against the specified public key"
            : "  - The code-signing certificate was verified using trusted certificate authority certificates");
    }

    private static JsonObject SimpleSigningPayload(Context context, DoubleImageReference image, string digest, StoredSignature signature)
    {
        // A key signature carries no optional annotations: cosign prints "optional": null.
        var optional = signature.Identity is null ? null : new JsonObject { ["Subject"] = signature.Identity, ["Issuer"] = signature.Issuer };

        return new JsonObject
        {
            ["critical"] = new JsonObject
            {
                ["identity"] = new JsonObject { ["docker-reference"] = $"{image.Registry}/{image.Repository}" },
                ["image"] = new JsonObject { ["docker-manifest-digest"] = digest },
                // v3 writes the new bundle format, whose payload type is a URI.
                ["type"] = context.Major >= 3 ? "https://sigstore.dev/cosign/sign/v1" : "cosign container image signature",
            },
            ["optional"] = optional,
        };
    }

    private static string Envelope(DoubleImageReference image, string digest, StoredSignature attestation)
    {
        var statement = new JsonObject
        {
            ["_type"] = "https://in-toto.io/Statement/v0.1",
            ["predicateType"] = attestation.PredicateType,
            ["subject"] = new JsonArray(new JsonObject { ["name"] = $"{image.Registry}/{image.Repository}", ["digest"] = new JsonObject { ["sha256"] = digest["sha256:".Length..] } }),
            ["predicate"] = attestation.Predicate?.DeepClone(),
        };
        return new JsonObject
        {
            ["payloadType"] = "application/vnd.in-toto+json",
            ["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.ToJsonString())),
            // cosign leaves keyid empty for key signatures too.
            ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = string.Empty, ["sig"] = "c2lnbmVkLWJ5LXRoZS10ZXN0LWRvdWJsZQ==" }),
        }.ToJsonString();
    }

    private static string PredicateTypeUri(string type) =>
        PredicateTypeUris.TryGetValue(type, out var uri) ? uri
        : type.Contains("://", StringComparison.Ordinal) ? type
        : throw new DoubleFailure($"invalid argument \"{type}\" for \"--type\" flag: invalid predicate type (slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom) or a URI");

    private static string Resolve(string path, string currentDirectory) =>
        path.Contains("://", StringComparison.Ordinal) ? path : Path.GetFullPath(path, currentDirectory);

    private static int Major(string version) =>
        int.TryParse(version.TrimStart('v').Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            ? major
            : throw new InvalidOperationException($"COSIGN_DOUBLE_VERSION '{version}' is not vMAJOR.MINOR.PATCH");

    private sealed record Context(string Version, int Major, TextWriter Stdout, TextWriter Stderr, Func<string, string?> Environment, string CurrentDirectory)
    {
        public SignatureStore Store() =>
            new(Environment("COSIGN_DOUBLE_STATE") is { Length: > 0 } state
                ? state
                : throw new DoubleFailure("COSIGN_DOUBLE_STATE is not set: the test double keeps signatures in that directory, standing in for the registry"));
    }
}

/// <summary>
/// cosign's identity check: <c>--certificate-identity</c> is compared exactly; <c>--certificate-identity-regexp</c> is a
/// Go regular expression that must match somewhere in the certificate's SAN (Go's <c>MatchString</c>: unanchored, so a
/// caller anchors it with <c>^…$</c>). .NET reads the RE2 subset such a pattern uses the same way.
/// </summary>
internal sealed record IdentityMatcher(string? Identity, System.Text.RegularExpressions.Regex? Pattern)
{
    public static IdentityMatcher Exact(string identity) => new(identity, null);

    public static IdentityMatcher Regexp(string pattern)
    {
        try
        {
            return new(null, new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
        }
        catch (ArgumentException e)
        {
            throw new DoubleFailure($"invalid certificate identity regexp '{pattern}': {e.Message}");
        }
    }

    public bool Matches(string? identity) =>
        identity is not null && (Pattern?.IsMatch(identity) ?? string.Equals(identity, Identity, StringComparison.Ordinal));
}
