using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Cosign;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// The environment's signing policy applied with cosign, by digest: sign and attest an image's SBOM (Sign), and the
/// gate every deploy passes (Verify, and a rollback's verification of the release it puts back). Asks the installed
/// cosign for its version first, since v2 and v3 spell an offline signature differently.
/// </summary>
public sealed class CosignGate
{
    /// <summary>The attestation type of the SBOMs: CycloneDX.</summary>
    public const string SbomPredicate = "cyclonedx";

    private readonly DeliveryEnvironment _environment;
    private readonly bool _offline;
    private readonly Secret? _password;
    private CosignVersion? _version;

    /// <summary>
    /// A gate for <paramref name="environment"/>'s policy; <paramref name="offline"/> signs and verifies without a
    /// transparency log. Each call runs cosign through the session it is given (a target's, or a ForEach item's).
    /// </summary>
    public CosignGate(DeliveryEnvironment environment, bool offline, Secret? password = null)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _offline = offline;
        _password = password;
    }

    private SupplyChainPolicy Policy => _environment.Environment.SupplyChain;

    private SigningPolicy Signing => Policy.Signing
        ?? throw new InvalidOperationException($"{_environment.EnvironmentFile} has no supply_chain.signing: add mode key (key + public_key) or keyless (identity + issuer).");

    private CosignVersion Version => _version ?? throw new InvalidOperationException("DetectAsync comes first: the flags depend on cosign's version.");

    /// <summary>Asks the installed cosign for its version; a dry run without cosign shows v2's flags.</summary>
    public async Task DetectAsync(IToolSession session)
    {
        if (_version is not null)
        {
            return;
        }

        try
        {
            var output = await session.QueryAsync(CosignCli.Version());
            var text = output.StandardOutput + "\n" + output.StandardError;
            _version = CosignVersion.IsUnstamped(text)
                ? CosignVersion.FromSignHelp((await session.QueryAsync(CosignCli.SignHelp())).StandardOutput)
                : CosignVersion.Parse(text);
        }
        catch (ToolNotFoundException) when (session.IsDryRun)
        {
            _version = new CosignVersion(2, 0, 0);
            session.Warning("cosign is not installed: the dry run shows cosign v2's flags.");
            return;
        }

        session.Info($"cosign {_version}");
    }

    /// <summary>True when <paramref name="reference"/> is already signed (and its SBOM attested, when <paramref name="withSbom"/>) for this policy.</summary>
    public async Task<bool> IsSignedAsync(IToolSession session, string reference, bool withSbom) =>
        await PassesAsync(session, CosignCli.Verify(reference, Verification(), Version)) &&
        (!withSbom || await PassesAsync(session, CosignCli.VerifyAttestation(reference, SbomPredicate, Verification(), Version)));

    /// <summary>Signs <paramref name="reference"/> and attests <paramref name="sbom"/> when there is one.</summary>
    public async Task SignAsync(IToolSession session, string reference, string? sbom)
    {
        await session.RunAsync(CosignCli.Sign(reference, SigningSettings(), Version).WithRetry(RetryPolicy.TransientNetworkErrors));
        if (sbom is not null)
        {
            await session.RunAsync(CosignCli.Attest(reference, sbom, SbomPredicate, SigningSettings(), Version).WithRetry(RetryPolicy.TransientNetworkErrors));
        }
    }

    /// <summary>Refuses <paramref name="reference"/> (repo@digest) unless it is signed, and attested when required, for the policy.</summary>
    public async Task VerifyAsync(IToolSession session, string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var checks = new List<(ToolInvocation Invocation, string? Predicate)> { (CosignCli.Verify(reference, Verification(), Version), null) };
        if (Policy.RequireSbom)
        {
            checks.Add((CosignCli.VerifyAttestation(reference, SbomPredicate, Verification(), Version), SbomPredicate));
        }

        foreach (var (invocation, predicate) in checks)
        {
            var result = await session.RunAsync(invocation.AcceptingAnyExitCode(), echoOutput: false);
            if (result.ExitCode != 0)
            {
                var digestAt = reference.LastIndexOf('@');
                throw new InvalidOperationException("Refused: " + CosignFailure.Explain(result.ExitCode, result.StandardError, reference[..digestAt], reference[(digestAt + 1)..], predicate));
            }
        }

        if (!session.IsDryRun)
        {
            session.Info($"{reference}: signature{(Policy.RequireSbom ? " and SBOM attestation" : string.Empty)} verified");
        }
    }

    /// <summary>A rollback is a deploy: the images it puts back are verified again when the policy asks for signatures.</summary>
    public async Task VerifyReleaseAsync(IToolSession session, IReadOnlyDictionary<string, string> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!Policy.RequireSignature)
        {
            return;
        }

        await DetectAsync(session);
        foreach (var reference in images.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => i.Value))
        {
            await VerifyAsync(session, reference);
        }
    }

    private static async Task<bool> PassesAsync(IToolSession session, ToolInvocation check) =>
        (await session.QueryAsync(check.AcceptingAnyExitCode())).ExitCode == 0;

    private CosignSigning SigningSettings() => Signing.Mode switch
    {
        SigningMode.Key => CosignSigning.WithKey(KeyReference(Signing.Key ?? throw new InvalidOperationException("key signing needs supply_chain.signing.key")), _password, _offline),
        _ => CosignSigning.Keyless(),
    };

    private CosignVerification Verification() => Signing.Mode switch
    {
        SigningMode.Key => CosignVerification.WithPublicKey(
            _environment.PathOf(Signing.PublicKey ?? throw new InvalidOperationException("key signing needs supply_chain.signing.public_key")),
            _offline),
        _ => CosignVerification.WithIdentity(Signing.Identity!, Signing.Issuer!),
    };

    /// <summary>
    /// cosign reads keys itself: a file: reference becomes the path, an env: reference cosign's env:// form, so the key
    /// never passes through Slipway's arguments or output.
    /// </summary>
    private string KeyReference(SecretReference key) => key.Scheme switch
    {
        "file" => _environment.PathOf(key.Path),
        "env" => "env://" + key.Path,
        _ => throw new InvalidOperationException($"cosign keys are read from file: or env: references; {key} is neither. Store the key in a file or variable, or use a KMS URI."),
    };
}
