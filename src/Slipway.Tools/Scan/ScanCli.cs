using Slipway.Processes;

namespace Slipway.Tools.Scan;

/// <summary>
/// Renders the vulnerability scanners' invocations. Pure: nothing here runs a process. Each writes JSON
/// to stdout for <see cref="DotNetVulnerabilityReport"/>, <see cref="GrypeReport"/> or <see cref="TrivyReport"/>.
/// None of them is asked to fail on findings: the exit code means "the scan ran", and
/// the vulnerability gate of Slipway.Delivery decides, so the policy (threshold, allowances) lives in one place.
/// </summary>
public static class ScanCli
{
    /// <summary>
    /// <c>dotnet list PROJECT package --vulnerable --include-transitive --format json</c>: NuGet advisories for
    /// every package the project resolves, transitive ones included.
    /// </summary>
    public static ToolInvocation DotNetVulnerable(string project)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        return ToolInvocation.Of("dotnet")
            .WithArguments("list", project, "package", "--vulnerable", "--include-transitive", "--format", "json")
            .WithEnvironment("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .WithEnvironment("DOTNET_NOLOGO", "1");
    }

    /// <summary>
    /// <c>grype sbom:PATH -o json</c> with <c>GRYPE_CHECK_FOR_APP_UPDATE=false</c>: scanning an SBOM needs no
    /// engine, and the update check is a network call that only adds a delay (or a timeout, offline).
    /// </summary>
    public static ToolInvocation GrypeSbom(string sbomPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sbomPath);
        return ToolInvocation.Of("grype")
            .WithArguments($"sbom:{sbomPath}", "-o", "json")
            .WithEnvironment("GRYPE_CHECK_FOR_APP_UPDATE", "false");
    }

    /// <summary><c>trivy sbom PATH --format json --quiet</c>; <c>--quiet</c> drops the progress output on stderr.</summary>
    public static ToolInvocation TrivySbom(string sbomPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sbomPath);
        return ToolInvocation.Of("trivy").WithArguments("sbom", sbomPath, "--format", "json", "--quiet");
    }

    /// <summary><c>grype version</c>: its version and vulnerability database, inputs of an image scan.</summary>
    public static ToolInvocation GrypeVersion() =>
        ToolInvocation.Of("grype").WithArguments("version").WithEnvironment("GRYPE_CHECK_FOR_APP_UPDATE", "false");

    /// <summary><c>trivy --version</c>: its version and vulnerability database, inputs of an image scan.</summary>
    public static ToolInvocation TrivyVersion() => ToolInvocation.Of("trivy").WithArguments("--version");
}
