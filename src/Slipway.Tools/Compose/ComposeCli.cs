using System.Globalization;
using Slipway.Processes;

namespace Slipway.Tools.Compose;

/// <summary>
/// Renders <c>docker-compose</c> invocations (Compose v1.29 and the v2 standalone binary take the same flags for
/// everything here). Pure: nothing here runs a process.
/// </summary>
/// <remarks>
/// The endpoint travels as <c>DOCKER_HOST</c> (or <c>--context</c>) and the project's variables as the
/// process environment; the project name and files are global options, so they come before the subcommand.
/// </remarks>
public static class ComposeCli
{
    /// <summary>The executable.</summary>
    public const string Tool = "docker-compose";

    /// <summary><c>config --quiet</c>: validates the layered files and their variables; exit 1 with the reason otherwise.</summary>
    public static ToolInvocation Config(ComposeProject project, params IEnumerable<string> profiles) =>
        Compose(project, profiles, "config").WithFlag("--quiet");

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

    /// <summary><c>ps --quiet [SERVICE]</c>: the IDs of the project's containers (of one service), one per line.</summary>
    public static ToolInvocation ContainerIds(ComposeProject project, string? service = null) =>
        Compose(project, [], "ps")
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
        var invocation = ToolInvocation.Of(Tool)
            .WithOption("--project-name", project.Name);
        foreach (var file in project.Files)
        {
            invocation = invocation.WithOption("--file", file);
        }

        foreach (var profile in profiles)
        {
            invocation = invocation.WithOption("--profile", profile);
        }

        if (project.Endpoint.Context is { } context)
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
}
