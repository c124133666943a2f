using Slipway.Processes;

namespace Slipway.Tools.Cosign;

/// <summary>
/// How cosign signs: with a key (<see cref="WithKey"/>) or keyless through the CI's OIDC identity
/// (<see cref="Keyless"/>). Immutable; the subtypes carry what each mode needs and nothing else.
/// </summary>
public abstract record CosignSigning
{
    private protected CosignSigning()
    {
    }

    /// <summary>
    /// True when nothing is written to a transparency log: for registries in networks that cannot reach Rekor.
    /// Only a key can sign offline; see <see cref="CosignKeylessSigning"/> for why.
    /// </summary>
    public abstract bool Offline { get; }

    /// <summary>Signs with a key.</summary>
    /// <param name="keyReference">
    /// What cosign's <c>--key</c> accepts: a private key file (<c>cosign.key</c>), <c>env://VAR</c> holding the PEM, or a
    /// KMS URI (<c>awskms://</c>, <c>gcpkms://</c>, <c>azurekms://</c>, <c>hashivault://</c>, <c>k8s://</c>, <c>gitlab://</c>).
    /// </param>
    /// <param name="password">The private key's password, passed as <c>COSIGN_PASSWORD</c>; null for an unencrypted key or a KMS key.</param>
    /// <param name="offline">True to skip the transparency log (air-gapped registries).</param>
    public static CosignKeySigning WithKey(string keyReference, Secret? password = null, bool offline = false) =>
        new(CosignKey.Parse(keyReference), password, offline);

    /// <summary>
    /// Signs keyless: Fulcio issues a short-lived certificate for the CI's OIDC identity (GitHub Actions'
    /// <c>id-token: write</c> is detected by cosign itself), and the signature is recorded in Rekor.
    /// </summary>
    /// <param name="identityToken">An OIDC token to use instead of the ambient one, passed as <c>SIGSTORE_ID_TOKEN</c>.</param>
    public static CosignKeylessSigning Keyless(Secret? identityToken = null) => new(identityToken);
}

/// <summary>Signing with a key file, an <c>env://</c> key or a KMS key. Create with <see cref="CosignSigning.WithKey"/>.</summary>
public sealed record CosignKeySigning : CosignSigning
{
    internal CosignKeySigning(CosignKey key, Secret? password, bool offline)
    {
        if (password is not null && key.IsKms)
        {
            throw new ArgumentException(
                $"Key '{key.Reference}' is a KMS key: the KMS holds it, so it has no password. Drop the password, or use a key file or env:// key.",
                nameof(password));
        }

        Key = key;
        Password = password;
        Offline = offline;
    }

    /// <summary>The key reference as given to <c>--key</c>.</summary>
    public string KeyReference => Key.Reference;

    /// <summary>The private key's password, or null.</summary>
    public Secret? Password { get; }

    /// <inheritdoc />
    public override bool Offline { get; }

    internal CosignKey Key { get; }
}

/// <summary>
/// Keyless signing. Never offline: the certificate lives ten minutes, and only a transparency-log entry (or a
/// timestamp) proves the signature was made while it was valid, so an offline keyless signature could never be
/// verified. Create with <see cref="CosignSigning.Keyless"/>.
/// </summary>
public sealed record CosignKeylessSigning : CosignSigning
{
    internal CosignKeylessSigning(Secret? identityToken)
    {
        IdentityToken = identityToken;
    }

    /// <summary>An explicit OIDC token, or null to let cosign find the CI's ambient one.</summary>
    public Secret? IdentityToken { get; }

    /// <inheritdoc />
    public override bool Offline => false;
}

/// <summary>
/// How cosign verifies: against a public key (<see cref="WithPublicKey"/>), or against the keyless signer's identity
/// and issuer (<see cref="WithIdentity"/>).
/// </summary>
public abstract record CosignVerification
{
    private protected CosignVerification()
    {
    }

    /// <summary>True when the transparency log is not consulted; see the subtypes.</summary>
    public abstract bool Offline { get; }

    /// <summary>Verifies against a public key.</summary>
    /// <param name="publicKeyReference">A public key file (<c>cosign.pub</c>), <c>env://VAR</c> or a KMS URI.</param>
    /// <param name="offline">True for signatures made offline: nothing in the transparency log to check.</param>
    public static CosignKeyVerification WithPublicKey(string publicKeyReference, bool offline = false) =>
        new(CosignKey.Parse(publicKeyReference), offline);

    /// <summary>Verifies a keyless signature: the certificate must name exactly this identity and OIDC issuer.</summary>
    /// <param name="certificateIdentity">E.g. <c>https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main</c>.</param>
    /// <param name="certificateOidcIssuer">E.g. <c>https://token.actions.githubusercontent.com</c>.</param>
    public static CosignIdentityVerification WithIdentity(string certificateIdentity, string certificateOidcIssuer) =>
        new(certificateIdentity, certificateOidcIssuer);
}

/// <summary>Verification against a public key. Create with <see cref="CosignVerification.WithPublicKey"/>.</summary>
public sealed record CosignKeyVerification : CosignVerification
{
    internal CosignKeyVerification(CosignKey key, bool offline)
    {
        Key = key;
        Offline = offline;
    }

    /// <summary>The public key reference as given to <c>--key</c>.</summary>
    public string PublicKeyReference => Key.Reference;

    /// <inheritdoc />
    public override bool Offline { get; }

    internal CosignKey Key { get; }
}

/// <summary>
/// Verification of a keyless signature by identity and issuer. Never offline, for the reason given on
/// <see cref="CosignKeylessSigning"/>. Create with <see cref="CosignVerification.WithIdentity"/>.
/// </summary>
public sealed record CosignIdentityVerification : CosignVerification
{
    internal CosignIdentityVerification(string certificateIdentity, string certificateOidcIssuer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificateIdentity);
        ArgumentException.ThrowIfNullOrWhiteSpace(certificateOidcIssuer);
        if (!Uri.TryCreate(certificateOidcIssuer, UriKind.Absolute, out _))
        {
            throw new ArgumentException(
                $"OIDC issuer '{certificateOidcIssuer}' is not an absolute URL; GitHub Actions' is https://token.actions.githubusercontent.com.",
                nameof(certificateOidcIssuer));
        }

        CertificateIdentity = certificateIdentity;
        CertificateOidcIssuer = certificateOidcIssuer;
    }

    /// <summary>
    /// The identity (the certificate's SAN) a signature must carry: exact, or a <see cref="Git.RefGlob"/>
    /// (<c>…/release.yml@refs/tags/v*</c>), which is verified with <c>--certificate-identity-regexp</c>.
    /// </summary>
    public string CertificateIdentity { get; }

    /// <summary>True when <see cref="CertificateIdentity"/> is a glob rather than one identity.</summary>
    internal bool IsPattern => Git.RefGlob.IsPattern(CertificateIdentity);

    /// <summary>The exact OIDC issuer a signature's certificate must name.</summary>
    public string CertificateOidcIssuer { get; }

    /// <inheritdoc />
    public override bool Offline => false;
}
