using Slipway.Delivery;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Cosign;

namespace Slipway.Build;

/// <summary>Sign and Verify: cosign by digest over release.json, the gate every deploy passes.</summary>
public sealed partial class SlipwayPipeline
{
    private const string SbomPredicate = "cyclonedx";
    private CosignVersion? _cosignVersion;

    [Secret("Password of the cosign private key (key mode)")]
    public Secret? CosignPassword { get; init; }

    [Parameter("Sign and verify without a transparency log, for air-gapped registries (key mode only)")]
    public bool SigningOffline { get; init; }

    public Target Sign => _ => _
        .Describe($"Sign every image of {ReleaseFile} by digest with cosign and attest its SBOM (CycloneDX); images already signed for the policy are left as they are")
        .After(Publish)
        .Consumes(ReleaseFile)
        .Executes(DetectCosignAsync)
        .ForEach(() => Services, SignImageAsync, service => service.Name);

    public Target Verify => _ => _
        .Describe($"Verify every image of {ReleaseFile} by digest against the environment's policy (signature and SBOM attestation); every deploy depends on it")
        .After(Publish, Sign)
        .Consumes(ReleaseFile)
        .Executes(ctx =>
        {
            if (!Environments.Current.SupplyChain.RequireSignature)
            {
                ctx.Skip($"the {EnvironmentName} policy does not require signatures");
            }
        })
        .Executes(DetectCosignAsync)
        .ForEach(() => Services, VerifyImageAsync, service => service.Name);

    private SigningPolicy Signing => Environments.Current.SupplyChain.Signing
        ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml has no supply_chain.signing: add mode key (key + public_key) or keyless (identity + issuer).");

    private async Task DetectCosignAsync(TargetContext ctx)
    {
        // v2 and v3 differ in how an offline signature is asked for; ask the installed cosign which it is.
        try
        {
            var output = await ctx.QueryAsync(CosignCli.Version());
            var text = output.StandardOutput + "\n" + output.StandardError;
            _cosignVersion = CosignVersion.IsUnstamped(text)
                ? CosignVersion.FromSignHelp((await ctx.QueryAsync(CosignCli.SignHelp())).StandardOutput)
                : CosignVersion.Parse(text);
        }
        catch (ToolNotFoundException) when (ctx.IsDryRun)
        {
            _cosignVersion = new CosignVersion(2, 0, 0);
            ctx.Warning("cosign is not installed: the dry run shows cosign v2's flags.");
            return;
        }

        ctx.Info($"cosign {_cosignVersion}");
    }

    /// <summary>The image of <paramref name="service"/> in release.json, by digest; in a dry run, a placeholder.</summary>
    private string ImageReference(Service service, TargetContext ctx) =>
        ctx.IsDryRun && !File.Exists(ctx.PathOf(ReleaseFile))
            ? $"{Environments.Current.Registry.Address}/{RepositoryPath(service)}@<digest of {service.Name} from Publish>"
            : ReleasedImageOf(service, ctx).Reference;

    private ReleasedImage ReleasedImageOf(Service service, TargetContext ctx) =>
        ReleaseManifest.Read(ctx.PathOf(ReleaseFile)).Images.SingleOrDefault(i => i.Service == service.Name)
            ?? throw new InvalidOperationException($"{ReleaseFile} has no image for {service.Name}: run Publish for this environment.");

    private async Task SignImageAsync(Service service, TargetContext ctx)
    {
        var reference = ImageReference(service, ctx);
        var version = _cosignVersion!;
        var sbom = ctx.IsDryRun ? ImageSbomPath(service) : ReleasedImageOf(service, ctx).Sbom;
        if (!ctx.IsDryRun && await PassesAsync(ctx, CosignCli.Verify(reference, Verification(), version)) &&
            (sbom is null || await PassesAsync(ctx, CosignCli.VerifyAttestation(reference, SbomPredicate, Verification(), version))))
        {
            ctx.Skip($"already signed{(sbom is null ? string.Empty : " and attested")} for this policy");
        }

        await ctx.RunAsync(CosignCli.Sign(reference, SigningSettings(), version).WithRetry(RetryPolicy.TransientNetworkErrors));
        if (sbom is not null)
        {
            await ctx.RunAsync(CosignCli.Attest(reference, sbom, SbomPredicate, SigningSettings(), version).WithRetry(RetryPolicy.TransientNetworkErrors));
        }
        else if (Environments.Current.SupplyChain.RequireSbom)
        {
            throw new InvalidOperationException($"{service.Name} has no SBOM in {ReleaseFile}, and the {EnvironmentName} policy requires one: run Sbom and Publish again.");
        }
    }

    private async Task VerifyImageAsync(Service service, TargetContext ctx)
    {
        var policy = Environments.Current.SupplyChain;
        if (!policy.RequireSignature)
        {
            ctx.Skip($"the {EnvironmentName} policy does not require signatures");
        }

        await VerifyReferenceAsync(ImageReference(service, ctx), ctx);
    }

    /// <summary>Refuses <paramref name="reference"/> (repo@digest) unless it is signed, and attested when required, for the policy.</summary>
    private async Task VerifyReferenceAsync(string reference, TargetContext ctx)
    {
        var policy = Environments.Current.SupplyChain;
        var version = _cosignVersion!;
        var checks = new List<(ToolInvocation Invocation, string? Predicate)> { (CosignCli.Verify(reference, Verification(), version), null) };
        if (policy.RequireSbom)
        {
            checks.Add((CosignCli.VerifyAttestation(reference, SbomPredicate, Verification(), version), SbomPredicate));
        }

        foreach (var (invocation, predicate) in checks)
        {
            var result = await ctx.RunAsync(invocation.AcceptingAnyExitCode(), echoOutput: false);
            if (result.ExitCode != 0)
            {
                var digestAt = reference.LastIndexOf('@');
                throw new InvalidOperationException("Refused: " + CosignFailure.Explain(result.ExitCode, result.StandardError, reference[..digestAt], reference[(digestAt + 1)..], predicate));
            }
        }

        ctx.Info($"{reference}: signature{(policy.RequireSbom ? " and SBOM attestation" : string.Empty)} verified");
    }

    private static async Task<bool> PassesAsync(TargetContext ctx, ToolInvocation check) =>
        (await ctx.QueryAsync(check.AcceptingAnyExitCode())).ExitCode == 0;

    private CosignSigning SigningSettings() => Signing.Mode switch
    {
        SigningMode.Key => CosignSigning.WithKey(KeyReference(Signing.Key ?? throw new InvalidOperationException("key signing needs supply_chain.signing.key")), CosignPassword, SigningOffline),
        _ => CosignSigning.Keyless(),
    };

    private CosignVerification Verification() => Signing.Mode switch
    {
        SigningMode.Key => CosignVerification.WithPublicKey(
            Path.GetFullPath(Path.Combine(RootDirectory, Signing.PublicKey ?? throw new InvalidOperationException("key signing needs supply_chain.signing.public_key"))),
            SigningOffline),
        _ => CosignVerification.WithIdentity(Signing.Identity!, Signing.Issuer!),
    };

    /// <summary>
    /// cosign reads keys itself: a file: reference becomes the path, an env: reference cosign's env://
    /// form, so the key never passes through Slipway's arguments or output.
    /// </summary>
    private string KeyReference(SecretReference key) => key.Scheme switch
    {
        "file" => Path.GetFullPath(Path.Combine(RootDirectory, key.Path)),
        "env" => "env://" + key.Path,
        _ => throw new InvalidOperationException($"cosign keys are read from file: or env: references; {key} is neither. Store the key in a file or variable, or use a KMS URI."),
    };
}
