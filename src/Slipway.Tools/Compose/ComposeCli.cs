using System.Globalization;
using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Tools.Compose;

/// <summary>
/// Renders Compose invocations in the form the project's <see cref="ComposeProject.Driver"/> names:
/// <c>docker compose …</c> (the v2 plugin, the default), or <c>docker-compose …</c> (the v2 standalone binary, or v1).
/// The tokens after that are the same for all of them but one (<see cref="ContainerIds"/>). Pure: nothing here runs a process.
/// </summary>
/// <remarks>
/// The endpoint travels as <c>DOCKER_HOST</c> (or <c>--context</c>: the Docker CLI's option before <c>compose</c> for
/// the plugin, the binary's own for a standalone Compose) and the project's variables as the process environment; the
/// project name and files are global options, so they come before the subcommand.
/// </remarks>
public static partial class ComposeCli
{

    /// <summary><c>config --quiet</c>: validates the layered files and their variables; exit 1 with the reason otherwise.</summary>
    public static ToolInvocation Config(ComposeProject project, params IEnumerable<string> profiles) =>
        Compose(project, profiles, "config").WithFlag("--quiet");

    /// <summary>
    /// <c>config --format json</c>: validates like <see cref="Config"/> and prints the resolved model (every service's
    /// <c>depends_on</c> in its long form). Compose v1 cannot print JSON: there it is <c>config --quiet</c>, which prints
    /// nothing. The model holds the interpolated variables, secrets among them: never echo it.
    /// </summary>
    public static ToolInvocation ResolvedConfig(ComposeProject project, params IEnumerable<string> profiles)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.Driver.IsV1
            ? Config(project, profiles)
            : Compose(project, profiles, "config").WithOption("--format", "json");
    }

    /// <summary>
    /// <c>up --detach [--no-deps] [--no-recreate] [--scale S=N]… [SERVICE…]</c>. With <paramref name="noRecreate"/>,
    /// containers that exist are kept as they are even when their configuration changed, so scaling up starts the
    /// new configuration beside the old one: the first half of a zero-downtime replacement.
    /// </summary>
    public static ToolInvocation Up(
        ComposeProject project,
        IEnumerable<string>? services = null,
        bool noDeps = false,
        bool noRecreate = false,
        IReadOnlyDictionary<string, int>? scale = null)
    {
        var invocation = Compose(project, [], "up")
            .WithFlag("--detach")
            .WithFlag("--no-deps", noDeps)
            .WithFlag("--no-recreate", noRecreate);
        foreach (var (service, replicas) in (scale ?? new Dictionary<string, int>()).OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            ArgumentOutOfRangeException.ThrowIfNegative(replicas);
            invocation = invocation.WithOption("--scale", $"{service}={replicas.ToString(CultureInfo.InvariantCulture)}");
        }

        return invocation.WithArguments((services ?? []).Select(InvocationValue.FromString));
    }

    /// <summary>
    /// <c>up --detach --no-deps --no-recreate --scale SERVICE=COUNT SERVICE</c>: new containers of <paramref name="service"/>
    /// beside the running ones, COUNT being those plus the new. A dry run, which asks the host nothing, prints COUNT as a
    /// named placeholder; a deploy knows it and uses <see cref="Up"/>.
    /// </summary>
    public static ToolInvocation UpBeside(ComposeProject project, string service, InvocationValue count)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(count);
        return Compose(project, [], "up")
            .WithFlag("--detach")
            .WithFlag("--no-deps")
            .WithFlag("--no-recreate")
            .WithOption("--scale", new CompositeValue([InvocationValue.FromString(service + "="), count]))
            .WithArguments(service);
    }

    /// <summary>
    /// <c>[--profile P] run --rm SERVICE [COMMAND…]</c>: a one-off container of <paramref name="service"/> (say the
    /// migration), removed when it exits; its exit code is the command's.
    /// </summary>
    public static ToolInvocation Run(ComposeProject project, string service, IEnumerable<string>? profiles = null, IEnumerable<string>? command = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        return Compose(project, profiles ?? [], "run")
            .WithFlag("--rm")
            .WithArguments(service)
            .WithArguments((command ?? []).Select(InvocationValue.FromString));
    }

    /// <summary>
    /// <c>ps [--all] --quiet [SERVICE]</c>: the IDs of the project's containers (of one service), one per line, stopped ones
    /// included: v2 lists only running containers unless given <c>--all</c>, v1 listed them all (its <c>--all</c> would
    /// add one-off <c>run</c> containers), so <c>--all</c> is passed to v2 only.
    /// </summary>
    public static ToolInvocation ContainerIds(ComposeProject project, string? service = null) =>
        Compose(project, [], "ps")
            .WithFlag("--all", !project.Driver.IsV1)
            .WithFlag("--quiet")
            .WithArguments(service is null ? [] : [InvocationValue.FromString(service)]);

    /// <summary><c>logs --no-color --tail N [SERVICE…]</c>.</summary>
    public static ToolInvocation Logs(ComposeProject project, int tail, params IEnumerable<string> services)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tail);
        return Compose(project, [], "logs")
            .WithFlag("--no-color")
            .WithOption("--tail", tail.ToString(CultureInfo.InvariantCulture))
            .WithArguments(services.Select(InvocationValue.FromString));
    }

    /// <summary>
    /// The text of <see cref="Logs"/>'s output without terminal control sequences: Compose v2 (2.26) starts every log
    /// line with an erase-line sequence (<c>ESC [2K</c>) even with <c>--no-color</c> and <c>--ansi never</c>, which
    /// garbles a log file or a CI log. Lines read <c>api-1  | …</c> on v2, <c>project_api_1  | …</c> on v1.
    /// </summary>
    public static string PlainLogs(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ControlSequence().Replace(output, string.Empty);
    }

    /// <summary><c>port SERVICE PORT</c>: the host address a container port is published on (<c>127.0.0.1:32769</c>).</summary>
    public static ToolInvocation Port(ComposeProject project, string service, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        return Compose(project, [], "port").WithArguments(service, port.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// <c>[--profile P]… down [--volumes] [--remove-orphans] --timeout N</c>: removes the project's containers and
    /// networks (and its named volumes with <paramref name="volumes"/>). Profiles name the one-off services to remove too.
    /// </summary>
    public static ToolInvocation Down(ComposeProject project, bool volumes = false, IEnumerable<string>? profiles = null, int timeoutSeconds = 10) =>
        Compose(project, profiles ?? [], "down")
            .WithFlag("--volumes", volumes)
            .WithFlag("--remove-orphans")
            .WithOption("--timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture));

    private static ToolInvocation Compose(ComposeProject project, IEnumerable<string> profiles, string subcommand)
    {
        ArgumentNullException.ThrowIfNull(project);
        var plugin = project.Driver.Form == ComposeForm.Plugin;
        var invocation = project.Driver.Start(plugin ? project.Endpoint.Context : null)
            .WithOption("--project-name", project.Name);
        foreach (var file in project.Files)
        {
            invocation = invocation.WithOption("--file", file);
        }

        foreach (var profile in profiles)
        {
            invocation = invocation.WithOption("--profile", profile);
        }

        if (!plugin && project.Endpoint.Context is { } context)
        {
            invocation = invocation.WithOption("--context", context);
        }

        if (project.Endpoint.Host is { } host)
        {
            invocation = invocation.WithEnvironment("DOCKER_HOST", host);
        }

        foreach (var (name, value) in project.Variables)
        {
            invocation = invocation.WithEnvironment(name, value);
        }

        return invocation.WithArguments(subcommand);
    }

    // CSI sequences (ESC [ … letter), as terminals read them.
    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]", RegexOptions.CultureInvariant)]
    private static partial Regex ControlSequence();
}
