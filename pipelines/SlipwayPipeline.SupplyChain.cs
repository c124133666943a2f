using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Docker;
using Slipway.Tools.Sbom;
using Slipway.Delivery.SupplyChain;
using Slipway.Tools.Scan;

namespace Slipway.Build;

/// <summary>Supply chain: an SBOM per image and project, and the vulnerability gate.</summary>
public sealed partial class SlipwayPipeline
{
    private const string SbomDirectory = "artifacts/sbom";

    public Target Sbom => _ => _
        .Describe($"A CycloneDX SBOM per image (cdxgen on the built image, offline) and per .NET project, validated, under {SbomDirectory}")
        .DependsOn(Build)
        .After(Provision)
        .Executes(EnsureIdentityAsync)
        .Executes(ctx => ctx.DoAsync($"create {SbomDirectory}", () => Directory.CreateDirectory(ctx.PathOf(SbomDirectory))))
        .ForEach(() => SelectedServices, SbomOfServiceAsync, service => service.Name);

    public Target Scan => _ => _
        .Describe("Vulnerability gate of the environment's policy: .NET dependencies, and image SBOMs through grype or trivy when installed")
        .DependsOn(Sbom)
        .Executes(ScanAsync);

    private static string ImageSbomPath(Service service) => $"{SbomDirectory}/{service.Name}.image.cdx.json";

    private static string ProjectSbomPath(Service service) => $"{SbomDirectory}/{service.Name}.project.cdx.json";

    private async Task SbomOfServiceAsync(Service service, TargetContext ctx)
    {
        var project = service.Definition.Project ?? throw new InvalidOperationException($"Service '{service.Name}' has no 'project' to describe.");
        await ctx.RunAsync(CdxgenCli.ImageSbom(TagsOf(service)[0], ImageSbomPath(service), Engine.Host), echoOutput: ctx.IsVerbose);
        await ctx.RunAsync(CdxgenCli.ProjectSbom(Path.GetDirectoryName(project)!, ProjectSbomPath(service)), echoOutput: ctx.IsVerbose);
        if (!ctx.IsDryRun)
        {
            // cdxgen sees the image's Debian packages but not the .NET runtime or the app's packages.
            var image = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(TagsOf(service)[0], Engine)))!;
            await ctx.DoAsync($"add the .NET runtime and the application's packages to {ImageSbomPath(service)}", async token =>
                await File.WriteAllTextAsync(
                    ctx.PathOf(ImageSbomPath(service)),
                    ImageSbomEnrichment.Enrich(
                        await File.ReadAllTextAsync(ctx.PathOf(ImageSbomPath(service)), token),
                        await File.ReadAllTextAsync(ctx.PathOf(ProjectSbomPath(service)), token),
                        ImageSbomEnrichment.RuntimeComponents(image.Environment)),
                    token));

            foreach (var path in new[] { ImageSbomPath(service), ProjectSbomPath(service) })
            {
                var document = CycloneDxDocument.Load(ctx.PathOf(path));
                ctx.Info($"{path}: CycloneDX {document.SpecVersion}, {document.ComponentCount} components");
            }
        }
    }

    private async Task ScanAsync(TargetContext ctx)
    {
        var policy = Environments.Current.SupplyChain;
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
            throw new InvalidOperationException("The vulnerability gate failed:" + Environment.NewLine + string.Join(Environment.NewLine, gate.Failures.Select(f => "  " + f)));
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
                    var result = await ctx.RunAsync(invocation(ImageSbomPath(service)), echoOutput: false);
                    if (!ctx.IsDryRun)
                    {
                        findings.AddRange(parse(result.StandardOutput, $"{Environments.Current.Registry.Address}/{RepositoryPath(service)}"));
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
}
