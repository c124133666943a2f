using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Tools.Cosign;

/// <summary>
/// Renders <c>cosign</c> invocations. Pure: nothing here runs a process. Image references must be by digest
/// (<see cref="ImageDigestReference"/>). Flags that differ between cosign v2 and v3 are chosen from the
/// <see cref="CosignVersion"/> given, which a pipeline reads once with <see cref="Version"/>.
/// </summary>
public static partial class CosignCli
{
    /// <summary>The variable cosign reads a private key's password from instead of prompting.</summary>
    public const string PasswordVariable = "COSIGN_PASSWORD";

    /// <summary>The variable cosign reads an explicit OIDC token from for keyless signing.</summary>
    public const string IdentityTokenVariable = "SIGSTORE_ID_TOKEN";

    /// <summary>The predicate type of a CycloneDX SBOM attestation.</summary>
    public const string CycloneDx = "cyclonedx";

    // The short predicate types cosign's --type accepts; anything else must be a URI.
    private static readonly string[] KnownPredicateTypes =
        ["slsaprovenance", "slsaprovenance02", "slsaprovenance1", "link", "spdx", "spdxjson", "cyclonedx", "vuln", "openvex", "custom"];

    /// <summary><c>cosign version</c>; read the result with <see cref="CosignVersion.Parse"/>.</summary>
    public static ToolInvocation Version() => Cosign("version");

    /// <summary>
    /// <c>cosign sign --help</c>: for an unstamped build (<see cref="CosignVersion.IsUnstamped"/>), the flags tell v2 from
    /// v3; read them with <see cref="CosignVersion.FromSignHelp"/>.
    /// </summary>
    public static ToolInvocation SignHelp() => Cosign("sign").WithArguments("--help");

    /// <summary>
    /// <c>cosign generate-key-pair</c> with <c>COSIGN_PASSWORD</c>, run in <paramref name="directory"/>: writes
    /// <c>cosign.key</c> (encrypted with the password) and <c>cosign.pub</c> there.
    /// </summary>
    public static ToolInvocation GenerateKeyPair(Secret password, string directory)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return Cosign("generate-key-pair").WithEnvironment(PasswordVariable, password).WithWorkingDirectory(directory);
    }

    /// <summary>
    /// <c>cosign sign</c>: with a key, <c>--key K [offline flags] --yes IMAGE@DIGEST</c> and <c>COSIGN_PASSWORD</c>;
    /// keyless, <c>--yes IMAGE@DIGEST</c> (and <c>SIGSTORE_ID_TOKEN</c> when a token is given).
    /// Offline is <c>--tlog-upload=false</c> on v2 and <c>--use-signing-config=false --tlog-upload=false</c> on v3,
    /// which refuses the first alone because its default signing config names a transparency log.
    /// </summary>
    /// <exception cref="ArgumentException">The reference is not by digest.</exception>
    public static ToolInvocation Sign(string imageReferenceByDigest, CosignSigning signing, CosignVersion version)
    {
        var reference = ImageDigestReference.Parse(imageReferenceByDigest, nameof(imageReferenceByDigest));
        ArgumentNullException.ThrowIfNull(signing);
        ArgumentNullException.ThrowIfNull(version);
        return Signed(Cosign("sign"), signing, version).WithArguments(reference.ToString());
    }

    /// <summary>
    /// <c>cosign attest [--key K] --type TYPE --predicate FILE [offline flags] --yes IMAGE@DIGEST</c>: signs
    /// <paramref name="predicatePath"/> (e.g. a CycloneDX SBOM) as an in-toto attestation about the image.
    /// </summary>
    /// <param name="imageReferenceByDigest"><c>repository@sha256:…</c>.</param>
    /// <param name="predicatePath">The predicate file, e.g. the SBOM made by the Sbom target.</param>
    /// <param name="predicateType">One of cosign's short types (<see cref="CycloneDx"/>, <c>spdxjson</c>, …) or a URI.</param>
    /// <param name="signing">How to sign.</param>
    /// <param name="version">The installed cosign's version.</param>
    /// <exception cref="ArgumentException">The reference is not by digest, or the type is unknown.</exception>
    public static ToolInvocation Attest(string imageReferenceByDigest, string predicatePath, string predicateType, CosignSigning signing, CosignVersion version)
    {
        var reference = ImageDigestReference.Parse(imageReferenceByDigest, nameof(imageReferenceByDigest));
        ArgumentException.ThrowIfNullOrWhiteSpace(predicatePath);
        ArgumentNullException.ThrowIfNull(signing);
        ArgumentNullException.ThrowIfNull(version);
        var invocation = Cosign("attest");
        if (signing is CosignKeySigning key)
        {
            invocation = invocation.WithOption("--key", key.KeyReference);
        }

        invocation = invocation
            .WithOption("--type", PredicateType(predicateType))
            .WithOption("--predicate", predicatePath);
        return Signed(invocation, signing, version, keyAlreadyGiven: true).WithArguments(reference.ToString());
    }

    /// <summary>
    /// <c>cosign verify</c>: <c>--key PUB [--insecure-ignore-tlog=true] IMAGE@DIGEST</c>, or
    /// <c>--certificate-identity I --certificate-oidc-issuer U IMAGE@DIGEST</c>. On success cosign prints the
    /// verified payloads as JSON on stdout; on failure <see cref="CosignFailure.Explain"/> says why.
    /// </summary>
    /// <remarks>
    /// The flags are the same on v2 and v3 today (v3 still accepts <c>--insecure-ignore-tlog</c>); the version is
    /// taken anyway so a future difference changes no caller.
    /// </remarks>
    /// <exception cref="ArgumentException">The reference is not by digest.</exception>
    public static ToolInvocation Verify(string imageReferenceByDigest, CosignVerification verification, CosignVersion version)
    {
        var reference = ImageDigestReference.Parse(imageReferenceByDigest, nameof(imageReferenceByDigest));
        ArgumentNullException.ThrowIfNull(verification);
        ArgumentNullException.ThrowIfNull(version);
        return Verifying(Cosign("verify"), verification).WithArguments(reference.ToString());
    }

    /// <summary>
    /// <c>cosign verify-attestation --type TYPE</c> then the same policy flags as <see cref="Verify"/>: succeeds only
    /// when an attestation of that type, signed as the policy says, is attached to the image.
    /// </summary>
    /// <exception cref="ArgumentException">The reference is not by digest, or the type is unknown.</exception>
    public static ToolInvocation VerifyAttestation(string imageReferenceByDigest, string predicateType, CosignVerification verification, CosignVersion version)
    {
        var reference = ImageDigestReference.Parse(imageReferenceByDigest, nameof(imageReferenceByDigest));
        ArgumentNullException.ThrowIfNull(verification);
        ArgumentNullException.ThrowIfNull(version);
        return Verifying(Cosign("verify-attestation").WithOption("--type", PredicateType(predicateType)), verification)
            .WithArguments(reference.ToString());
    }

    private static ToolInvocation Signed(ToolInvocation invocation, CosignSigning signing, CosignVersion version, bool keyAlreadyGiven = false)
    {
        switch (signing)
        {
            case CosignKeySigning key:
                if (!keyAlreadyGiven)
                {
                    invocation = invocation.WithOption("--key", key.KeyReference);
                }

                if (!key.Key.IsKms)
                {
                    // Always set, empty for an unencrypted key: without it cosign prompts on the terminal,
                    // which a pipeline cannot answer, and the run hangs until its timeout.
                    invocation = invocation.WithEnvironment(PasswordVariable, key.Password is null ? InvocationValue.FromString(string.Empty) : key.Password);
                }

                break;
            case CosignKeylessSigning { IdentityToken: { } token }:
                // The environment rather than --identity-token keeps the token off the process's command line.
                invocation = invocation.WithEnvironment(IdentityTokenVariable, token);
                break;
        }

        return invocation
            .WithFlag("--use-signing-config=false", signing.Offline && version.UsesSigningConfigByDefault)
            .WithFlag("--tlog-upload=false", signing.Offline)
            // Skips the confirmation prompt cosign shows before writing to the public transparency log: a
            // pipeline has no one to answer it. Offline runs upload nothing, but the flag is harmless there.
            .WithFlag("--yes");
    }

    private static ToolInvocation Verifying(ToolInvocation invocation, CosignVerification verification) => verification switch
    {
        CosignKeyVerification key => invocation
            .WithOption("--key", key.PublicKeyReference)
            // Same flag on v2 and v3: an offline signature has no log entry, and cosign would fail looking for one.
            .WithFlag("--insecure-ignore-tlog=true", key.Offline),
        CosignIdentityVerification identity => (identity.IsPattern
                ? invocation.WithOption("--certificate-identity-regexp", Git.RefGlob.ToRegexp(identity.CertificateIdentity))
                : invocation.WithOption("--certificate-identity", identity.CertificateIdentity))
            .WithOption("--certificate-oidc-issuer", identity.CertificateOidcIssuer),
        _ => throw new ArgumentException($"Unknown verification {verification.GetType().Name}.", nameof(verification)),
    };

    private static string PredicateType(string predicateType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(predicateType);
        if (KnownPredicateTypes.Contains(predicateType, StringComparer.Ordinal) || PredicateUri().IsMatch(predicateType))
        {
            return predicateType;
        }

        throw new ArgumentException(
            $"Predicate type '{predicateType}' is not one cosign knows ({string.Join(", ", KnownPredicateTypes)}) nor a URI.",
            nameof(predicateType));
    }

    private static ToolInvocation Cosign(string subcommand) => ToolInvocation.Of("cosign").WithArguments(subcommand);

    [GeneratedRegex("^[a-z][a-z0-9+.-]*://\\S+$", RegexOptions.CultureInvariant)]
    private static partial Regex PredicateUri();
}
