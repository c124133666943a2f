using Slipway.Processes;

namespace Slipway.Tools.Sbom;

/// <summary>
/// Renders <c>cdxgen</c> invocations that write a CycloneDX JSON SBOM. Pure: nothing here runs a process.
/// Read the result with <see cref="CycloneDxDocument.Load"/>, which checks what cdxgen wrote.
/// </summary>
/// <remarks>
/// cdxgen 12 has no variable that silences a banner: it prints its version banner only with
/// <c>--help</c>. What makes a run noisy and slow is reaching out to package registries for licences
/// and metadata, so every invocation sets <c>FETCH_LICENSE=false</c> (which also keeps
/// <c>CDXGEN_FETCH_PKG_METADATA</c> off, its default).
/// </remarks>
public static class CdxgenCli
{
    /// <summary>The tool name resolved by <see cref="ToolResolver"/>.</summary>
    public const string Tool = "cdxgen";

    /// <summary><c>cdxgen --version</c>: an SBOM is only as current as the cdxgen that made it.</summary>
    public static ToolInvocation Version() => Cdxgen().WithArguments("--version");

    /// <summary>
    /// <c>cdxgen -t docker IMAGE -o OUTPUT</c> with <c>FETCH_LICENSE=false</c>, and <c>DOCKER_HOST</c> when
    /// <paramref name="dockerHost"/> is given (cdxgen talks to the engine's API itself, not through the
    /// docker CLI, so a <c>--host</c> flag would not reach it).
    /// </summary>
    /// <param name="imageReference">The image to inventory, e.g. <c>127.0.0.1:5000/slipway/api:1.0.0</c>.</param>
    /// <param name="outputPath">Where to write the SBOM.</param>
    /// <param name="dockerHost">The engine, e.g. <c>unix:///run/slipway/docker.sock</c>; the default engine when null.</param>
    /// <param name="scratchDirectory">
    /// Where cdxgen unpacks the image (<c>CDXGEN_TEMP_DIR</c>). cdxgen exports every layer into a
    /// <c>docker-images-*</c> directory it never removes; left to the system's temp directory that is hundreds of
    /// megabytes per image per run, outside the project. The caller owns this directory and removes it afterwards.
    /// The system's temp directory when null.
    /// </param>
    public static ToolInvocation ImageSbom(string imageReference, string outputPath, string? dockerHost = null, string? scratchDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imageReference);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var invocation = Cdxgen()
            .WithArguments("-t", "docker", imageReference)
            .WithOption("-o", outputPath);
        invocation = dockerHost is null ? invocation : invocation.WithEnvironment("DOCKER_HOST", dockerHost);
        return scratchDirectory is null ? invocation : invocation.WithEnvironment("CDXGEN_TEMP_DIR", scratchDirectory);
    }

    /// <summary>
    /// <c>cdxgen -t dotnet --no-install-deps --no-validate -o OUTPUT PROJECT_DIRECTORY</c> with <c>FETCH_LICENSE=false</c>.
    /// </summary>
    /// <remarks>
    /// <para><c>--no-install-deps</c>: without it cdxgen runs <c>dotnet restore --force --ignore-failed-sources</c>
    /// when it finds no lock or assets file, re-resolving packages behind the pipeline's back and hiding
    /// unreachable sources. The pipeline restores first (in locked mode on CI); the SBOM describes that restore.</para>
    /// <para><c>--no-validate</c>: cdxgen 12.8.4 emits the root project twice in <c>dependencies</c> for a project
    /// with a <c>packages.lock.json</c>, fails its own schema check on that duplicate, exits 1 and writes no file.
    /// The checks this pipeline relies on (format, spec version, components) are made by
    /// <see cref="CycloneDxDocument.Validate"/> instead.</para>
    /// </remarks>
    /// <param name="projectDirectory">The directory holding the project (and its lock file).</param>
    /// <param name="outputPath">Where to write the SBOM.</param>
    public static ToolInvocation ProjectSbom(string projectDirectory, string outputPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        return Cdxgen()
            .WithArguments("-t", "dotnet", "--no-install-deps", "--no-validate")
            .WithOption("-o", outputPath)
            .WithArguments(projectDirectory);
    }

    private static ToolInvocation Cdxgen() =>
        ToolInvocation.Of(Tool).WithEnvironment("FETCH_LICENSE", "false");
}
