using System.Globalization;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.SupplyChain;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Docker;
using Slipway.Tools.DotNet;
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
        .Produces(ReleaseArtifacts.SbomDirectory)
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
        .Consumes(ReleaseFile, ReleaseArtifacts.SbomDirectory)
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

    /// <summary>The version in a tool's <c>--version</c> answer (cdxgen prints it in bold, after its name).</summary>
    private static string FirstLine(string text) =>
        System.Text.RegularExpressions.Regex.Match(text, @"\d+\.\d+[0-9A-Za-z.+-]*") is { Success: true } version ? version.Value : PrintableText.Escape(text.Split('\n', 2)[0].Trim());

    private async Task SbomOfServiceAsync(Service service, TargetContext ctx)
    {
        var project = service.Definition.Project ?? throw new InvalidOperationException($"Service '{service.Name}' has no 'project' to describe.");
        var (imageSbom, projectSbom) = (ReleaseArtifacts.ImageSbom(service.Name), ReleaseArtifacts.ProjectSbom(service.Name));
        var recordPath = $"{ReleaseArtifacts.BuildStateDirectory}/{service.Name}.sbom.json";
        SbomRecord? made = null;
        DockerImage? built = null;
        if (!ctx.IsDryRun)
        {
            // An SBOM describes an image (by its ID) and a project, as one cdxgen saw them: the same three make the same SBOM.
            built = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(ImageTags(service)[0], Engine)))
                ?? throw new InvalidOperationException($"{ImageTags(service)[0]} is not on the Docker engine: run Build first.");
            var cdxgen = await RunState(() => new SupplyChainState()).CdxgenVersionAsync(ctx);
            made = new SbomRecord(built.Id, ProjectInputs.Hash(RootDirectory, project, []), cdxgen, string.Empty, string.Empty);
            var previous = StepRecord.Read<SbomRecord>(ctx.PathOf(recordPath), recordPath, ctx.Warning);
            if (previous is not null && previous == made with { ImageSbom = previous.ImageSbom, ProjectSbom = previous.ProjectSbom }
                && StepRecord.FileHash(ctx.PathOf(imageSbom)) == previous.ImageSbom && StepRecord.FileHash(ctx.PathOf(projectSbom)) == previous.ProjectSbom)
            {
                ctx.Skip($"the SBOMs made for image {built.Id[..19]} are reused: image, project and cdxgen ({FirstLine(cdxgen)}) unchanged since they were made");
            }
        }

        // cdxgen leaves the exported layers behind: give it a directory of ours and remove it, whatever happens.
        var scratch = ctx.PathOf(Path.Combine(Pipeline.StateDirectoryName, "tmp", $"sbom-{service.Name}"));
        try
        {
            if (ctx.IsDryRun || !await ImageSbomFromBaseAsync(service, built!, ctx, imageSbom, made!.Cdxgen, scratch))
            {
                await ctx.RunAsync(CdxgenCli.ImageSbom(ImageTags(service)[0], imageSbom, Engine.Host, ctx.IsDryRun ? null : scratch), echoOutput: ctx.IsVerbose);
            }
        }
        finally
        {
            if (!ctx.IsDryRun && Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        var projectRecordPath = $"{ReleaseArtifacts.BuildStateDirectory}/{service.Name}.project-sbom.json";
        var projectMade = ctx.IsDryRun ? null : new ProjectSbomRecord(ProjectSbomInputs.Hash(RootDirectory, project), made!.Cdxgen, string.Empty);
        if (projectMade is not null
            && StepRecord.Read<ProjectSbomRecord>(ctx.PathOf(projectRecordPath), projectRecordPath, ctx.Warning) is { } previousProject
            && previousProject with { Sbom = string.Empty } == projectMade
            && StepRecord.FileHash(ctx.PathOf(projectSbom)) == previousProject.Sbom)
        {
            // A one-line change in the code rebuilds the image but names no new package: its project SBOM stands.
            ctx.Info($"{projectSbom}: reused, the project's packages (project, lock and assets files) and cdxgen unchanged since it was made; only its code changed");
        }
        else
        {
            await ctx.RunAsync(CdxgenCli.ProjectSbom(Path.GetDirectoryName(project)!, projectSbom), echoOutput: ctx.IsVerbose);
            if (projectMade is not null)
            {
                var projectRecord = projectMade with { Sbom = StepRecord.FileHash(ctx.PathOf(projectSbom)) ?? string.Empty };
                await ctx.DoAsync($"record the project SBOM of {service.Name}", () => StepRecord.Write(ctx.PathOf(projectRecordPath), projectRecordPath, projectRecord, ctx.Warning));
            }
        }

        if (!ctx.IsDryRun)
        {
            // cdxgen sees the image's Debian packages but not the .NET runtime or the app's packages.
            await ctx.DoAsync($"add the .NET runtime and the application's packages to {imageSbom}", async token =>
                await File.WriteAllTextAsync(
                    ctx.PathOf(imageSbom),
                    ImageSbomEnrichment.Enrich(
                        await File.ReadAllTextAsync(ctx.PathOf(imageSbom), token),
                        await File.ReadAllTextAsync(ctx.PathOf(projectSbom), token),
                        ImageSbomEnrichment.RuntimeComponents(built!.Environment)),
                    token));

            foreach (var path in new[] { imageSbom, projectSbom })
            {
                var document = CycloneDxDocument.Load(ctx.PathOf(path));
                ctx.Info($"{path}: CycloneDX {document.SpecVersion}, {document.ComponentCount} components");
            }

            var record = made! with { ImageSbom = StepRecord.FileHash(ctx.PathOf(imageSbom)) ?? string.Empty, ProjectSbom = StepRecord.FileHash(ctx.PathOf(projectSbom)) ?? string.Empty };
            await ctx.DoAsync($"record the SBOMs of {service.Name}", () => StepRecord.Write(ctx.PathOf(recordPath), recordPath, record, ctx.Warning));
        }
    }

    /// <summary>
    /// Writes the image SBOM of <paramref name="service"/> (its built <paramref name="image"/>) from the SBOM of its base image when
    /// <see cref="BaseImageSbom.WhyNotReusable"/> allows (the base's is made once per base image ID and cdxgen version,
    /// under build-state/base-sbom); returns false, saying why, when cdxgen must inventory the whole image.
    /// </summary>
    private async Task<bool> ImageSbomFromBaseAsync(Service service, DockerImage image, TargetContext ctx, string imageSbom, string cdxgen, string scratch)
    {
        var tag = ImageTags(service)[0];
        var built = StepRecord.Read<BuildState>(ctx.PathOf(IBuildImages.BuildStatePath(service)), IBuildImages.BuildStatePath(service), ctx.Warning);
        string? why = null;
        DockerImage? baseImage = null;
        if (built is null)
        {
            why = "no build record names its base image (it was built outside Build)";
        }
        else if (built.ImageId != image.Id)
        {
            why = "its build record describes another image (it was rebuilt outside Build)";
        }
        else if (built.BaseImage is not { } baseReference || built.BaseImageId is not { } baseId)
        {
            why = "its build record names no base image (FROM scratch, or an older Slipway built it)";
        }
        else if (built.NotOnlyFromContext is { } notOnlyFromContext)
        {
            why = notOnlyFromContext;
        }
        else if (!RecordedValue.IsImageReference(baseReference))
        {
            // The record is a file anyone could edit: what it names goes to docker and cdxgen as an argument.
            why = $"its build record ({IBuildImages.BuildStatePath(service)}) names a base image that is not an image reference";
        }
        else
        {
            baseImage = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(baseReference, Engine)));
            if (baseImage is null || baseImage.Id != baseId || !RecordedValue.IsSha256Digest(baseImage.Id))
            {
                why = $"its base image {baseReference} is no longer the {baseId[..Math.Min(19, baseId.Length)]} it was built from";
            }
        }

        if (why is null)
        {
            try
            {
                why = BaseImageSbom.WhyNotReusable(
                    image,
                    DockerImageHistory.Parse((await ctx.QueryAsync(DockerCli.ImageHistory(image.Id, Engine))).StandardOutput),
                    baseImage!,
                    DockerImageHistory.Parse((await ctx.QueryAsync(DockerCli.ImageHistory(baseImage!.Id, Engine))).StandardOutput));
            }
            catch (FormatException e)
            {
                why = e.Message.TrimEnd('.');
            }
        }

        if (why is not null)
        {
            ctx.Info($"{imageSbom}: cdxgen inventories the whole image: {why}.");
            return false;
        }

        var baseSbom = await RunState(() => new SupplyChainState()).BaseImageSbomAsync(baseImage!.Id, () => BaseImageSbomAsync(ctx, built!.BaseImage!, baseImage.Id, cdxgen, scratch));
        await ctx.DoAsync($"write {imageSbom} from the SBOM of its base image {built!.BaseImage} (above it the Dockerfile only copies files and sets metadata)", async token =>
            await File.WriteAllTextAsync(
                ctx.PathOf(imageSbom),
                BaseImageSbom.Rebase(await File.ReadAllTextAsync(ctx.PathOf(baseSbom), token), image, tag, baseImage, built.BaseImage!, DateTimeOffset.UtcNow),
                token));
        return true;
    }

    /// <summary>The SBOM of a base image (its path): made by cdxgen once per image ID and cdxgen version, then reused.</summary>
    private async Task<string> BaseImageSbomAsync(TargetContext ctx, string baseReference, string baseId, string cdxgen, string scratch)
    {
        var directory = $"{ReleaseArtifacts.BuildStateDirectory}/base-sbom";
        var hex = baseId["sha256:".Length..];
        var (sbomPath, recordPath) = ($"{directory}/{hex}.cdx.json", $"{directory}/{hex}.json");
        var made = new BaseSbomRecord(baseId, cdxgen, string.Empty);
        var previous = StepRecord.Read<BaseSbomRecord>(ctx.PathOf(recordPath), recordPath, ctx.Warning);
        if (previous is not null && previous == made with { Sbom = previous.Sbom } && StepRecord.FileHash(ctx.PathOf(sbomPath)) == previous.Sbom)
        {
            ctx.Info($"Reusing the SBOM of base image {baseReference} ({baseId[..19]}) that cdxgen {FirstLine(cdxgen)} made ({sbomPath}).");
            return sbomPath;
        }

        await ctx.DoAsync($"create {directory}", () => Directory.CreateDirectory(ctx.PathOf(directory)));
        await ctx.RunAsync(CdxgenCli.ImageSbom(baseReference, sbomPath, Engine.Host, scratch), echoOutput: ctx.IsVerbose);
        var document = CycloneDxDocument.Load(ctx.PathOf(sbomPath));
        ctx.Info($"{sbomPath}: the SBOM of base image {baseReference} ({baseId[..19]}), CycloneDX {document.SpecVersion}, {document.ComponentCount} components; reused for every image built on it.");
        await ctx.DoAsync($"record the SBOM of base image {baseReference}", () =>
            StepRecord.Write(ctx.PathOf(recordPath), recordPath, made with { Sbom = StepRecord.FileHash(ctx.PathOf(sbomPath)) ?? string.Empty }, ctx.Warning));
        return sbomPath;
    }

    private async Task ScanAsync(TargetContext ctx)
    {
        var policy = CurrentEnvironment.SupplyChain;
        var recordPath = $"{ReleaseArtifacts.BuildStateDirectory}/scan-{EnvironmentName}.json";
        ScanRecord? passed = null;
        var sdk = string.Empty;
        if (!ctx.IsDryRun)
        {
            sdk = await RunState(() => new DotNetSdkState()).VersionAsync(ctx);
            passed = await ScanInputsAsync(ctx, policy, sdk);
            var previous = StepRecord.Read<ScanRecord>(ctx.PathOf(recordPath), recordPath, ctx.Warning);
            if (previous is not null && previous == passed)
            {
                ctx.Skip($"passed today for the same images, projects, {EnvironmentName} policy and scanners ({passed.Scanners})");
            }
        }

        // One `dotnet list package --vulnerable` per project, all at once (each is a ~2 s .NET start that mostly waits);
        // the commands are printed in service order as they start, and the findings are kept in that order. A project
        // whose resolved packages were listed today already is not listed again (a code change in the inner loop).
        var reports = await Task.WhenAll(SelectedServices.Select(async service =>
        {
            var project = service.Definition.Project!;
            var recordPath = PackageScan.RecordPath(service.Name);
            var inputs = ctx.IsDryRun ? null : PackageScan.Inputs(RootDirectory, project, sdk, DateOnly.FromDateTime(DateTime.UtcNow));
            if (inputs is not null && StepRecord.Read<PackageScanRecord>(ctx.PathOf(recordPath), recordPath, ctx.Warning) is { } listed && listed.Inputs == inputs)
            {
                try
                {
                    var kept = DotNetVulnerabilityReport.Parse(listed.Report, project).ToList();
                    ctx.Info($"[{service.Name}] .NET dependencies: today's list of {project}'s vulnerable packages is reused: its resolved packages (obj/project.assets.json) and SDK {sdk} are unchanged ({recordPath}).");
                    return kept;
                }
                catch (ScanReportException e)
                {
                    ctx.Warning($"{recordPath} does not hold a report Slipway kept ({e.Message}): the list runs again.");
                }
            }

            var report = await ctx.RunAsync(ScanCli.DotNetVulnerable(project), echoOutput: false);
            if (ctx.IsDryRun)
            {
                return [];
            }

            var findings = DotNetVulnerabilityReport.Parse(report.StandardOutput, project).ToList();
            if (inputs is not null && report.StandardOutput.Length <= PackageScan.MaxReportLength)
            {
                await ctx.DoAsync($"record the list of {project}'s vulnerable packages", () =>
                    StepRecord.Write(ctx.PathOf(recordPath), recordPath, new PackageScanRecord(inputs, report.StandardOutput), ctx.Warning));
            }

            return findings;
        }));
        var findings = reports.SelectMany(r => r).ToList();

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

        await ctx.DoAsync($"record the passed scan of {EnvironmentName}", () => StepRecord.Write(ctx.PathOf(recordPath), recordPath, passed!, ctx.Warning));
    }

    /// <summary>
    /// What a scan's verdict depends on: each service's image SBOM and project, the policy (threshold and allow-list), the
    /// scanners' versions (their vulnerability data comes with them), and the day (allowances expire, advisories appear).
    /// </summary>
    private async Task<ScanRecord> ScanInputsAsync(TargetContext ctx, SupplyChainPolicy policy, string sdk)
    {
        var imageScanner = "no image scanner";
        foreach (var (scanner, version) in new (string, ToolInvocation)[] { ("grype", ScanCli.GrypeVersion()), ("trivy", ScanCli.TrivyVersion()) })
        {
            try
            {
                imageScanner = $"{scanner} {(await ctx.QueryAsync(version)).StandardOutput.Trim().ReplaceLineEndings(" ")}";
                break;
            }
            catch (ToolNotFoundException)
            {
                // Try the next scanner.
            }
        }

        var inputs = new StringBuilder();
        inputs.Append("policy ").Append(JsonSerializer.Serialize(new { policy.MaxSeverity, policy.Allow })).Append('\n');
        foreach (var service in SelectedServices)
        {
            inputs.Append(service.Name).Append(' ')
                .Append(ProjectInputs.Hash(RootDirectory, service.Definition.Project!, [])).Append(' ')
                .Append(StepRecord.FileHash(ctx.PathOf(ReleaseArtifacts.ImageSbom(service.Name))) ?? "no image SBOM").Append('\n');
        }

        var hash = ContentHash.Prefixed(inputs.ToString());
        return new ScanRecord(hash, $".NET SDK {sdk}, {imageScanner}", DateOnly.FromDateTime(DateTime.UtcNow).ToString("O", CultureInfo.InvariantCulture));
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

/// <summary>The SBOM cdxgen made of a base image: which image, which cdxgen, and the file's hash.</summary>
internal sealed record BaseSbomRecord(string BaseImageId, string Cdxgen, string Sbom);

/// <summary>What the SBOMs of a service were made from (image ID, project inputs, cdxgen's version) and the files' hashes.</summary>
internal sealed record SbomRecord(string ImageId, string ProjectInputs, string Cdxgen, string ImageSbom, string ProjectSbom);

/// <summary>
/// A tool's <c>--version</c> answer, kept with the identity of the file that gave it: its real path (links followed), size
/// and last write time. An upgrade writes the file anew, so a different identity asks the tool again.
/// </summary>
internal sealed record ToolVersionRecord(string Executable, string Version)
{
    /// <summary>The identity of the file at <paramref name="path"/>, or null when there is none to key on.</summary>
    public static string? Identify(string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            var file = new FileInfo(path);
            if (file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            {
                file = target;
            }

            return file.Exists ? FormattableString.Invariant($"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}") : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A version answer worth keeping or reusing: short, printable text (a record is a file anyone can edit).</summary>
    public static bool IsPlausible(string version) =>
        version.Length is > 0 and <= 200 && !version.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t' or '\u001b'));
}

/// <summary>What the last passed scan of an environment read: the images and projects, the policy, the scanners, the day.</summary>
internal sealed record ScanRecord(string Inputs, string Scanners, string Day);

/// <summary>The supply chain's state for one run: the gate, made once the first target that needs it runs.</summary>
internal sealed class SupplyChainState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task<string>> _baseImageSboms = new(StringComparer.Ordinal);
    private Task<string>? _cdxgenVersion;

    public CosignGate? Gate { get; set; }

    /// <summary>The SBOM of a base image, made once per run however many services are built on it (they run at once).</summary>
    public Task<string> BaseImageSbomAsync(string baseImageId, Func<Task<string>> make)
    {
        lock (_lock)
        {
            if (!_baseImageSboms.TryGetValue(baseImageId, out var sbom))
            {
                _baseImageSboms[baseImageId] = sbom = make();
            }

            return sbom;
        }
    }

    /// <summary>
    /// <c>cdxgen --version</c>, asked once per run however many services' SBOMs need it (a Node start costs seconds), and
    /// not at all while the file that runs as cdxgen is the one that answered last time (<see cref="ToolVersionRecord"/>).
    /// </summary>
    public Task<string> CdxgenVersionAsync(TargetContext ctx)
    {
        lock (_lock)
        {
            return _cdxgenVersion ??= Query(ctx);
        }

        static async Task<string> Query(TargetContext ctx)
        {
            const string RecordPath = ReleaseArtifacts.BuildStateDirectory + "/cdxgen-version.json";
            // cdxgen is a Node script and names the Node that ran it in its answer: both files make the identity.
            var executable = ctx.IsDryRun || ToolVersionRecord.Identify(ctx.LocateTool(CdxgenCli.Tool)) is not { } cdxgen
                ? null
                : cdxgen + " " + (ToolVersionRecord.Identify(ctx.LocateTool("node")) ?? "(node not found)");
            if (executable is not null
                && StepRecord.Read<ToolVersionRecord>(ctx.PathOf(RecordPath), RecordPath, ctx.Warning) is { } known
                && known.Executable == executable && ToolVersionRecord.IsPlausible(known.Version))
            {
                return known.Version;
            }

            var version = (await ctx.QueryAsync(CdxgenCli.Version())).StandardOutput.Trim();
            if (executable is not null && ToolVersionRecord.IsPlausible(version))
            {
                await ctx.DoAsync("record the cdxgen version", () => StepRecord.Write(ctx.PathOf(RecordPath), RecordPath, new ToolVersionRecord(executable, version), ctx.Warning));
            }

            return version;
        }
    }
}
