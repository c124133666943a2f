using Slipway.Delivery.SupplyChain;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Docker;
using Slipway.Tools.Sbom;
using Slipway.Tools.Scan;

namespace Slipway.Delivery.Components;

/// <summary>
/// The supply chain: an SBOM per image and project (Sbom), the environment's vulnerability gate (Scan), cosign signatures
/// and SBOM attestations by digest (Sign), and the verification every deploy passes (Verify).
/// </summary>
public interface ISupplyChain : IBuildImages
{
    /// <summary>The cosign key's password (key mode).</summary>
    [Secret("Password of the cosign private key (key mode)")]
    Secret? CosignPassword => TryGetValue(() => CosignPassword);

    /// <summary>--signing-offline: no transparency log (air-gapped registries, key mode).</summary>
    [Parameter("Sign and verify without a transparency log, for air-gapped registries (key mode only)")]
    bool SigningOffline => TryGetValue(() => SigningOffline);

    /// <summary>An SBOM per image and per .NET project, validated.</summary>
    Target Sbom => _ => _
        .Describe($"A CycloneDX SBOM per image (cdxgen on the built image, offline) and per .NET project, validated, under {ReleaseArtifacts.SbomDirectory}")
        .DependsOn(Build)
        .After<IMachine>(x => x.Provision)
        .UsesEnvironment(this, EnvironmentUse.PerService)
        .Executes(ResolveVersionAsync)
        .Executes(ctx => ctx.DoAsync($"create {ReleaseArtifacts.SbomDirectory}", () => Directory.CreateDirectory(ctx.PathOf(ReleaseArtifacts.SbomDirectory))))
        .ForEach(() => SelectedServices, SbomOfServiceAsync, service => service.Name);

    /// <summary>The vulnerability gate of the environment's policy.</summary>
    Target Scan => _ => _
        .Describe("Vulnerability gate of the environment's policy: .NET dependencies, and image SBOMs through grype or trivy when installed")
        .DependsOn(Sbom)
        .UsesEnvironment(this, EnvironmentUse.PerService)
        .Executes(ScanAsync);

    /// <summary>Signs every image of release.json and attests its SBOM.</summary>
    Target Sign => _ => _
        .Describe($"Sign every image of {ReleaseFile} by digest with cosign and attest its SBOM (CycloneDX); images already signed for the policy are left as they are")
        .After(Publish)
        .UsesEnvironment(this)
        .Consumes(ReleaseFile)
        .Executes(ctx => Cosign.DetectAsync(ctx))
        .ForEach(() => Services, SignImageAsync, service => service.Name);

    /// <summary>Verifies every image of release.json against the environment's policy; every deploy depends on it.</summary>
    Target Verify => _ => _
        .Describe($"Verify every image of {ReleaseFile} by digest against the environment's policy (signature and SBOM attestation); every deploy depends on it")
        .After(Publish, Sign)
        .UsesEnvironment(this)
        .Consumes(ReleaseFile)
        .Executes(ctx =>
        {
            if (!CurrentEnvironment.SupplyChain.RequireSignature)
            {
                ctx.Skip($"the {EnvironmentName} policy does not require signatures");
            }
        })
        .Executes(ctx => Cosign.DetectAsync(ctx))
        .ForEach(() => Services, (service, ctx) => Cosign.VerifyAsync(ctx, ImageReference(service, ctx)), service => service.Name);

    /// <summary>The environment's signing policy applied with cosign, for this run.</summary>
    CosignGate Cosign => RunState(() => new SupplyChainState()).Gate ??= new CosignGate(Delivery, SigningOffline, CosignPassword);

    private async Task SbomOfServiceAsync(Service service, TargetContext ctx)
    {
        var project = service.Definition.Project ?? throw new InvalidOperationException($"Service '{service.Name}' has no 'project' to describe.");
        var (imageSbom, projectSbom) = (ReleaseArtifacts.ImageSbom(service.Name), ReleaseArtifacts.ProjectSbom(service.Name));
        await ctx.RunAsync(CdxgenCli.ImageSbom(ImageTags(service)[0], imageSbom, Engine.Host), echoOutput: ctx.IsVerbose);
        await ctx.RunAsync(CdxgenCli.ProjectSbom(Path.GetDirectoryName(project)!, projectSbom), echoOutput: ctx.IsVerbose);
        if (!ctx.IsDryRun)
        {
            // cdxgen sees the image's Debian packages but not the .NET runtime or the app's packages.
            var image = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(ImageTags(service)[0], Engine)))!;
            await ctx.DoAsync($"add the .NET runtime and the application's packages to {imageSbom}", async token =>
                await File.WriteAllTextAsync(
                    ctx.PathOf(imageSbom),
                    ImageSbomEnrichment.Enrich(
                        await File.ReadAllTextAsync(ctx.PathOf(imageSbom), token),
                        await File.ReadAllTextAsync(ctx.PathOf(projectSbom), token),
                        ImageSbomEnrichment.RuntimeComponents(image.Environment)),
                    token));

            foreach (var path in new[] { imageSbom, projectSbom })
            {
                var document = CycloneDxDocument.Load(ctx.PathOf(path));
                ctx.Info($"{path}: CycloneDX {document.SpecVersion}, {document.ComponentCount} components");
            }
        }
    }

    private async Task ScanAsync(TargetContext ctx)
    {
        var policy = CurrentEnvironment.SupplyChain;
        var findings = new List<Finding>();
        foreach (var service in SelectedServices)
        {
            var project = service.Definition.Project!;
            var report = await ctx.RunAsync(ScanCli.DotNetVulnerable(project), echoOutput: false);
            if (!ctx.IsDryRun)
            {
                findings.AddRange(DotNetVulnerabilityReport.Parse(report.StandardOutput, project));
            }
        }

        var imageScanner = await ScanImagesAsync(ctx, findings);
        if (ctx.IsDryRun)
        {
            return;
        }

        var gate = VulnerabilityGate.Evaluate(findings, policy.MaxSeverity, policy.Allow, DateOnly.FromDateTime(DateTime.UtcNow));
        ctx.Info(findings.Count == 0 ? "No known vulnerabilities." : gate.RenderTable().TrimEnd('\n'));
        ctx.Info($"Scanned .NET dependencies{(imageScanner is null ? string.Empty : $" and images ({imageScanner})")} of {EnvironmentName} against max severity {policy.MaxSeverity.ToString().ToLowerInvariant()}: {(gate.Passed ? "passed" : "failed")}.");
        if (!gate.Passed)
        {
            throw new InvalidOperationException("The vulnerability gate failed:" + System.Environment.NewLine + string.Join(System.Environment.NewLine, gate.Failures.Select(f => "  " + f)));
        }
    }

    /// <summary>Scans the image SBOMs with grype, else trivy; returns the scanner used, or null when neither is installed.</summary>
    private async Task<string?> ScanImagesAsync(TargetContext ctx, List<Finding> findings)
    {
        foreach (var (scanner, invocation, parse) in new (string, Func<string, ToolInvocation>, Func<string, string, IEnumerable<Finding>>)[]
        {
            ("grype", ScanCli.GrypeSbom, (json, target) => GrypeReport.Parse(json, target)),
            ("trivy", ScanCli.TrivySbom, (json, target) => TrivyReport.Parse(json, target)),
        })
        {
            try
            {
                foreach (var service in SelectedServices)
                {
                    var result = await ctx.RunAsync(invocation(ReleaseArtifacts.ImageSbom(service.Name)), echoOutput: false);
                    if (!ctx.IsDryRun)
                    {
                        findings.AddRange(parse(result.StandardOutput, ImageNames.Repository(CurrentEnvironment, service.Name)));
                    }
                }

                return scanner;
            }
            catch (ToolNotFoundException)
            {
                // Try the next scanner.
            }
        }

        ctx.Warning("Images were not scanned: neither grype nor trivy is installed (./build.sh --target Doctor says how to install one). .NET dependencies were scanned.");
        return null;
    }

    private async Task SignImageAsync(Service service, TargetContext ctx)
    {
        var reference = ImageReference(service, ctx);
        var sbom = ctx.IsDryRun ? ReleaseArtifacts.ImageSbom(service.Name) : ReleasedImageOf(ReleaseManifest.Read(ctx.PathOf(ReleaseFile)), service).Sbom;
        if (!ctx.IsDryRun && await Cosign.IsSignedAsync(ctx, reference, withSbom: sbom is not null))
        {
            ctx.Skip($"already signed{(sbom is null ? string.Empty : " and attested")} for this policy");
        }

        if (sbom is null && CurrentEnvironment.SupplyChain.RequireSbom)
        {
            await Cosign.SignAsync(ctx, reference, sbom: null);
            throw new InvalidOperationException($"{service.Name} has no SBOM in {ReleaseFile}, and the {EnvironmentName} policy requires one: run Sbom and Publish again.");
        }

        await Cosign.SignAsync(ctx, reference, sbom);
    }
}

/// <summary>The supply chain's state for one run: the gate, made once the first target that needs it runs.</summary>
internal sealed class SupplyChainState
{
    public CosignGate? Gate { get; set; }
}
