using System.Globalization;
using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Tools.Compose;

/// <summary>How Compose is started: the Docker CLI plugin (<c>docker compose</c>) or a standalone binary.</summary>
public enum ComposeForm
{
    /// <summary><c>docker compose …</c>: Compose v2 as a plugin the Docker CLI finds in its plugin directories.</summary>
    Plugin,

    /// <summary><c>docker-compose …</c>: the v2 standalone binary, or Compose v1 (end of life).</summary>
    Standalone,
}

/// <summary>
/// Which Compose runs a project's commands, and its version. Compose v2 is the primary driver, as the
/// <c>docker compose</c> plugin (what Docker Desktop and GitHub-hosted runners have) or as the v2 standalone binary;
/// Compose v1 (<c>docker-compose</c> 1.29, end of life since 2023) still works where it costs nothing. Immutable.
/// </summary>
/// <remarks>
/// Every command Slipway renders takes the same tokens on v1 and v2 except one: v2's <c>ps</c> lists only running
/// containers unless given <c>--all</c>, where v1 listed stopped ones too; <see cref="ComposeCli.ContainerIds"/>
/// adds it for v2 so that both see a crashed container. Containers are found by their labels
/// (<c>com.docker.compose.project</c>, <c>com.docker.compose.service</c>), never by name: v1 names them
/// <c>project_service_1</c>, v2 <c>project-service-1</c>.
/// </remarks>
public sealed partial record ComposeDriver
{
    /// <summary>The Docker CLI, which runs the plugin.</summary>
    public const string DockerExecutable = "docker";

    /// <summary>The standalone binary's usual name (v2 and v1 alike).</summary>
    public const string StandaloneExecutable = "docker-compose";

    /// <summary>The value of <c>SLIPWAY_COMPOSE</c> (or <c>--compose</c>) that asks for the plugin.</summary>
    public const string PluginChoice = "plugin";

    private ComposeDriver(ComposeForm form, string executable, string? version)
    {
        Form = form;
        Executable = executable;
        Version = version;
    }

    /// <summary>The plugin form, <c>docker compose</c>; the default.</summary>
    public static ComposeDriver Plugin { get; } = new(ComposeForm.Plugin, DockerExecutable, null);

    /// <summary>Plugin or standalone.</summary>
    public ComposeForm Form { get; }

    /// <summary>The executable started: <c>docker</c> for the plugin, else the standalone binary's name or path.</summary>
    public string Executable { get; }

    /// <summary>The version as <c>version --short</c> printed it (<c>2.26.1-4</c>, <c>1.29.2</c>), or null when not asked.</summary>
    public string? Version { get; private init; }

    /// <summary>The major version: 1 or 2 (5 for a future v5 …); 2 when the version was not asked.</summary>
    public int Major => Version is not null && LeadingNumber().Match(Version) is { Success: true } match
        ? int.Parse(match.Value, CultureInfo.InvariantCulture)
        : 2;

    /// <summary>True for Compose v1, end of life: supported only where it costs nothing.</summary>
    public bool IsV1 => Major < 2;

    /// <summary>The standalone form: <paramref name="executable"/> (a name on PATH or a path).</summary>
    public static ComposeDriver Standalone(string executable = StandaloneExecutable, string? version = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        return new ComposeDriver(ComposeForm.Standalone, executable, version);
    }

    /// <summary>A copy that records the version <c>version --short</c> printed.</summary>
    public ComposeDriver WithVersion(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        return this with { Version = version.Trim().TrimStart('v') };
    }

    /// <summary><c>docker compose version --short</c> or <c>docker-compose version --short</c>.</summary>
    public ToolInvocation VersionQuery() => Start(context: null).WithArguments("version", "--short");

    /// <summary>
    /// Finds the Compose to use. <paramref name="choice"/> (<c>SLIPWAY_COMPOSE</c>) is <c>plugin</c>, or the name or path
    /// of a standalone binary; without it, the <c>docker compose</c> plugin when the Docker CLI has one, else
    /// <c>docker-compose</c> on PATH. The chosen Compose must answer <c>version --short</c>.
    /// </summary>
    /// <param name="choice">An explicit choice, or null to detect.</param>
    /// <param name="query">Runs a read-only invocation (accepting any exit code) and returns its result.</param>
    /// <exception cref="InvalidOperationException">No Compose answers, or the chosen one does not: the message says what to install.</exception>
    public static async Task<ComposeDriver> DetectAsync(string? choice, Func<ToolInvocation, Task<ToolResult>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!string.IsNullOrWhiteSpace(choice))
        {
            var chosen = choice.Trim() is PluginChoice or "docker compose" ? Plugin : Standalone(choice.Trim());
            return await AskAsync(chosen, query) ?? throw new InvalidOperationException(
                $"SLIPWAY_COMPOSE={choice} but '{chosen.VersionQuery().ToDisplayString(includeEnvironment: false)}' does not answer. {InstallHint}");
        }

        return await AskAsync(Plugin, query)
            ?? await AskAsync(Standalone(), query)
            ?? throw new InvalidOperationException($"Compose not found: neither 'docker compose' (the Docker CLI plugin) nor 'docker-compose' answers 'version --short'. {InstallHint}");
    }

    /// <summary><c>docker compose (Compose 2.26.1-4, Docker CLI plugin)</c>, with a note when it is v1.</summary>
    public override string ToString()
    {
        var command = Form == ComposeForm.Plugin ? "docker compose" : Executable;
        var kind = Form == ComposeForm.Plugin ? "Docker CLI plugin" : "standalone";
        var version = Version ?? "version not asked";
        return IsV1
            ? $"{command} (Compose {version}, {kind}; v1 is end of life: install Compose v2, the docker compose plugin)"
            : $"{command} (Compose {version}, {kind})";
    }

    /// <summary>
    /// The start of every Compose invocation: <c>docker [--context C] compose</c>, or the standalone binary (which
    /// takes <c>--context</c> among its own global options, placed by <see cref="ComposeCli"/>).
    /// </summary>
    internal ToolInvocation Start(string? context) => Form == ComposeForm.Plugin
        ? ToolInvocation.Of(Executable).WithOption("--context", context).WithArguments("compose")
        : ToolInvocation.Of(Executable);

    private const string InstallHint =
        "Install Compose v2: the docker compose plugin (docker-compose-plugin from Docker's apt repository, or Debian 13's docker-compose package), " +
        "or run ./build.sh --provision; or set SLIPWAY_COMPOSE to 'plugin' or to the path of a docker-compose binary.";

    private static async Task<ComposeDriver?> AskAsync(ComposeDriver driver, Func<ToolInvocation, Task<ToolResult>> query)
    {
        try
        {
            var result = await query(driver.VersionQuery().AcceptingAnyExitCode());
            var version = result.StandardOutput.Trim();
            return result.ExitCode == 0 && LeadingNumber().IsMatch(version.TrimStart('v')) ? driver.WithVersion(version) : null;
        }
        catch (ToolNotFoundException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\d+", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingNumber();
}
