using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>How images are signed.</summary>
public enum SigningMode
{
    /// <summary>A cosign key pair; the private key is a secret reference.</summary>
    Key,

    /// <summary>Sigstore keyless signing with the CI's OIDC identity (GitHub Actions).</summary>
    Keyless,
}

/// <summary>What an image must carry before it may be deployed here.</summary>
public sealed record SupplyChainPolicy
{
    /// <summary>Every image needs a CycloneDX SBOM.</summary>
    public bool RequireSbom { get; init; }

    /// <summary>Every image must pass the vulnerability scan.</summary>
    public bool RequireScan { get; init; }

    /// <summary>The highest severity the scan tolerates.</summary>
    public Severity MaxSeverity { get; init; } = Severity.High;

    /// <summary>Accepted vulnerabilities, each with a reason and an expiry date.</summary>
    public IReadOnlyList<VulnerabilityAllowance> Allow { get; init; } = [];

    /// <summary>Every image must carry a signature verified before deploy.</summary>
    public bool RequireSignature { get; init; }

    /// <summary>How images are signed and verified.</summary>
    public SigningPolicy? Signing { get; init; }
}

/// <summary>An accepted vulnerability. After <see cref="Expires"/> it no longer suppresses the finding.</summary>
public sealed record VulnerabilityAllowance
{
    /// <summary>The advisory id, e.g. <c>CVE-2025-12345</c> or <c>GHSA-xxxx-xxxx-xxxx</c>.</summary>
    [RegularExpression("^(CVE-[0-9]{4}-[0-9]{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$", ErrorMessage = "a CVE or GHSA id, e.g. CVE-2025-12345")]
    public required string Id { get; init; }

    /// <summary>Why it is acceptable; reviewers read this.</summary>
    [MinLength(10)]
    public required string Reason { get; init; }

    /// <summary>The last day the allowance applies.</summary>
    public required DateOnly Expires { get; init; }
}

/// <summary>Signing and verification settings for cosign.</summary>
public sealed record SigningPolicy
{
    /// <summary>Key pair or keyless.</summary>
    public required SigningMode Mode { get; init; }

    /// <summary>The cosign private key, for <c>key</c> mode.</summary>
    public SecretReference? Key { get; init; }

    /// <summary>The public key file used to verify, for <c>key</c> mode.</summary>
    [RepositoryPath("the public key")]
    public string? PublicKey { get; init; }

    /// <summary>The certificate identity to verify, for <c>keyless</c> mode (the release workflow's URL).</summary>
    public string? Identity { get; init; }

    /// <summary>The OIDC issuer to verify, for <c>keyless</c> mode.</summary>
    [RegularExpression("^https://.+$", ErrorMessage = "an https:// URL")]
    public string? Issuer { get; init; }
}
