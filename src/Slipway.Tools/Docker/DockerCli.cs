using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>
/// Renders <c>docker</c> invocations. Pure: nothing here runs a process. Every method takes an optional
/// <see cref="DockerEndpoint"/>, rendered as <c>--host</c> or <c>--context</c> before the subcommand
/// (they are global options, so the CLI only reads them there).
/// </summary>
public static partial class DockerCli
{
    /// <summary>The Go template that makes <c>inspect</c>, <c>info</c> and <c>version</c> print one JSON object.</summary>
    public const string JsonFormat = "{{json .}}";

    /// <summary>
    /// <c>docker build --file F --tag T… --label k=v… --build-arg k=v… [--network N] [--pull|--pull=false] CONTEXT</c>
    /// with <c>DOCKER_BUILDKIT=0</c>.
    /// </summary>
    public static ToolInvocation Build(DockerBuildSettings settings, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var invocation = Docker(endpoint, "build").WithOption("--file", settings.Dockerfile);
        foreach (var tag in settings.Tags)
        {
            invocation = invocation.WithOption("--tag", tag);
        }

        foreach (var (key, value) in settings.Labels)
        {
            invocation = invocation.WithOption("--label", $"{key}={value}");
        }

        foreach (var (key, value) in settings.BuildArguments)
        {
            invocation = invocation.WithOption("--build-arg", $"{key}={value}");
        }

        return invocation
            .WithOption("--network", Optional(settings.Network))
            .WithFlag("--pull", settings.Pull == true)
            .WithFlag("--pull=false", settings.Pull == false)
            .WithArguments(settings.Context)
            // Since Docker 23 the CLI hands `docker build` to BuildKit through the buildx plugin, and without
            // the plugin it fails ("BuildKit is enabled but the buildx component is missing"). The legacy
            // builder ships inside every daemon, so it is the choice that works on any engine we are pointed at,
            // including this repository's CI machine; it prints a deprecation notice on stderr, nothing worse.
            .WithEnvironment("DOCKER_BUILDKIT", "0");
    }

    /// <summary><c>docker push REFERENCE</c>. Its output carries the digest: see <see cref="DockerPushOutput.ParseDigest"/>.</summary>
    public static ToolInvocation Push(string reference, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "push").WithArguments(reference);

    /// <summary><c>docker tag SOURCE TARGET</c>.</summary>
    public static ToolInvocation Tag(string source, string target, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "tag").WithArguments(source, target);

    /// <summary><c>docker pull REFERENCE</c>.</summary>
    public static ToolInvocation Pull(string reference, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "pull").WithArguments(reference);

    /// <summary>
    /// <c>docker image inspect --format {{json .}} REFERENCE</c>. Exit code 1 is accepted because that is how
    /// the CLI says "no such image"; <see cref="DockerImage.TryParseInspect"/> tells that apart from a real failure.
    /// </summary>
    public static ToolInvocation ImageInspect(string reference, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "image", "inspect").WithOption("--format", JsonFormat).WithArguments(reference).WithSuccessExitCodes(0, 1);

    /// <summary>
    /// <c>docker image history --no-trunc --format {{json .}} REFERENCE</c>: one JSON object per instruction that made the
    /// image, newest first (read with <see cref="DockerImageHistory.Parse"/>).
    /// </summary>
    public static ToolInvocation ImageHistory(string reference, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "image", "history", "--no-trunc").WithOption("--format", JsonFormat).WithArguments(reference);

    /// <summary><c>docker image rm [--force] REFERENCE</c>.</summary>
    public static ToolInvocation ImageRemove(string reference, bool force = false, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "image", "rm").WithFlag("--force", force).WithArguments(reference);

    /// <summary><c>docker info --format {{json .}}</c>: the daemon's configuration, as one JSON object.</summary>
    public static ToolInvocation Info(DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "info").WithOption("--format", JsonFormat);

    /// <summary><c>docker version --format {{json .}}</c>: client and server versions, as one JSON object.</summary>
    public static ToolInvocation Version(DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "version").WithOption("--format", JsonFormat);

    /// <summary>
    /// <c>docker run [--detach] [--name N] [--network NET] [--publish 127.0.0.1:H:C]… [--env K=V]… [--label k=v]… [--rm] IMAGE [COMMAND…]</c>.
    /// </summary>
    public static ToolInvocation Run(DockerRunSettings settings, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var invocation = Docker(endpoint, "run")
            .WithFlag("--detach", settings.Detached)
            .WithOption("--name", Optional(settings.Name))
            .WithOption("--network", Optional(settings.Network));
        foreach (var port in settings.Ports)
        {
            invocation = invocation.WithOption("--publish", port.ToString());
        }

        foreach (var (name, value) in settings.Environment)
        {
            // One token made of the name and the value, so a secret value still prints as NAME=***.
            invocation = invocation.WithOption("--env", new CompositeValue([$"{name}=", value]));
        }

        foreach (var (key, value) in settings.Labels)
        {
            invocation = invocation.WithOption("--label", $"{key}={value}");
        }

        return invocation
            .WithFlag("--rm", settings.RemoveOnExit)
            .WithArguments(settings.Image)
            .WithArguments(settings.Command.Select(InvocationValue.FromString));
    }

    /// <summary><c>docker container rm [--force] CONTAINER</c>.</summary>
    public static ToolInvocation Remove(string container, bool force = false, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "container", "rm").WithFlag("--force", force).WithArguments(container);

    /// <summary>
    /// <c>docker container inspect --format {{json .}} CONTAINER</c>. Exit code 1 ("no such container") is
    /// accepted so a caller can ask whether a container exists without a failure.
    /// </summary>
    public static ToolInvocation Inspect(string container, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "container", "inspect").WithOption("--format", JsonFormat).WithArguments(container).WithSuccessExitCodes(0, 1);

    /// <summary>
    /// <c>docker container inspect CONTAINER…</c>: one JSON array for all of them (see
    /// <see cref="DockerContainer.ParseInspectArray"/>). Exit code 1 (one of them is gone) is accepted: the array
    /// still lists the others.
    /// </summary>
    public static ToolInvocation InspectContainers(IEnumerable<string> containers, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(containers);
        return Docker(endpoint, "container", "inspect").WithArguments(containers.Select(InvocationValue.FromString)).WithSuccessExitCodes(0, 1);
    }

    /// <summary>
    /// <c>docker container stop --time N CONTAINER…</c>: SIGTERM (or the image's STOPSIGNAL), then SIGKILL after
    /// <paramref name="timeoutSeconds"/>, so a service finishes the requests and jobs it has.
    /// </summary>
    public static ToolInvocation Stop(IEnumerable<string> containers, int timeoutSeconds, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(containers);
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutSeconds);
        return Docker(endpoint, "container", "stop")
            .WithOption("--time", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithArguments(containers.Select(InvocationValue.FromString));
    }

    /// <summary>
    /// <c>docker container pause CONTAINER…</c>: freezes every process of the containers (cgroup freezer), keeping their
    /// memory and connections, so a worker takes no job until <see cref="Unpause"/> and resumes where it was.
    /// </summary>
    public static ToolInvocation Pause(IEnumerable<string> containers, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(containers);
        return Docker(endpoint, "container", "pause").WithArguments(containers.Select(InvocationValue.FromString));
    }

    /// <summary><c>docker container unpause CONTAINER…</c>: the containers <see cref="Pause"/> froze run on.</summary>
    public static ToolInvocation Unpause(IEnumerable<string> containers, DockerEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(containers);
        return Docker(endpoint, "container", "unpause").WithArguments(containers.Select(InvocationValue.FromString));
    }

    /// <summary>
    /// <c>docker container ls --all --no-trunc --filter label=LABEL --format …</c>: every container (running or not)
    /// carrying <paramref name="label"/> (<c>key</c> or <c>key=value</c>), one per line in the format
    /// <see cref="ContainerStatus.ParseList"/> reads.
    /// </summary>
    public static ToolInvocation ListContainers(string label, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return Docker(endpoint, "container", "ls")
            .WithFlag("--all")
            .WithFlag("--no-trunc")
            .WithOption("--filter", "label=" + label)
            .WithOption("--format", ContainerStatus.Format);
    }

    /// <summary>
    /// <c>docker container ls --all --quiet --no-trunc --filter label=com.docker.compose.project=P
    /// [--filter label=com.docker.compose.service=S] --filter label=com.docker.compose.oneoff=False</c>: the full ids of a
    /// Compose v2 project's service containers (of one service), running or not, one-off <c>run</c> containers left
    /// out, newest first, by the labels Compose puts on them. The same answer as <c>docker compose ps --all --quiet</c>
    /// without a Compose start, which reads and interpolates the project's files first. Compose v1 labels its containers
    /// with a project name it normalised: use <c>compose ps</c> there.
    /// </summary>
    public static ToolInvocation ComposeContainerIds(string project, string? service = null, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        var invocation = Docker(endpoint, "container", "ls")
            .WithFlag("--all")
            .WithFlag("--quiet")
            .WithFlag("--no-trunc")
            .WithOption("--filter", "label=com.docker.compose.project=" + project);
        if (service is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(service);
            invocation = invocation.WithOption("--filter", "label=com.docker.compose.service=" + service);
        }

        return invocation.WithOption("--filter", "label=com.docker.compose.oneoff=False");
    }

    /// <summary>
    /// <c>docker logs [--tail N] [--since T] [--until T] CONTAINER</c>; every line when <paramref name="tail"/> is null.
    /// <paramref name="since"/> and <paramref name="until"/> go as Unix timestamps with milliseconds, which the engine
    /// compares with each line's own time.
    /// </summary>
    public static ToolInvocation Logs(string container, int? tail = null, DockerEndpoint? endpoint = null, DateTimeOffset? since = null, DateTimeOffset? until = null)
    {
        if (tail is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tail), tail, "The number of log lines must be zero or more.");
        }

        return Docker(endpoint, "logs")
            .WithOption("--tail", Optional(tail?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithOption("--since", Optional(UnixTime(since)))
            .WithOption("--until", Optional(UnixTime(until)))
            .WithArguments(container);
    }

    private static string? UnixTime(DateTimeOffset? time) =>
        time is { } t ? (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// <c>docker login --username U --password *** REGISTRY</c>.
    /// </summary>
    /// <remarks>
    /// <c>--password-stdin</c> would keep the password off the process's command line, but
    /// <see cref="ToolInvocation"/> has no standard input yet. The <see cref="Secret"/> keeps it out of every
    /// log and message; it is still visible to other users' <c>ps</c> on the same machine while the login
    /// runs. Switch to <c>--password-stdin</c> once invocations can carry input.
    /// </remarks>
    public static ToolInvocation Login(string registry, string username, Secret password, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registry);
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentNullException.ThrowIfNull(password);
        return Docker(endpoint, "login").WithOption("--username", username).WithOption("--password", password).WithArguments(registry);
    }

    /// <summary>
    /// <c>docker exec [--env NAME[=VALUE]]… [--user U] CONTAINER COMMAND…</c>, environment sorted by name.
    /// </summary>
    /// <remarks>
    /// A value that carries a <see cref="Secret"/> never goes on the command line, where other users' <c>ps</c> and the
    /// daemon's event log would see it: the token is <c>--env NAME</c> alone and the value goes into the invocation's own
    /// environment, from which the docker client copies it into the container. Plain values stay on the command line as
    /// <c>NAME=VALUE</c>, because putting them in the client's environment would also reconfigure the client itself
    /// (think <c>PATH</c>, <c>HOME</c> or <c>DOCKER_HOST</c>); for the same reason a secret may not use such a name.
    /// </remarks>
    /// <param name="container">The container's name or id.</param>
    /// <param name="command">The program to run and its arguments, as tokens; no shell is involved.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    /// <param name="environment">Extra variables for the command; values may be <see cref="Secret"/>s.</param>
    /// <param name="user">The user (<c>name</c>, <c>uid</c> or <c>uid:gid</c>); the image's user when null.</param>
    /// <param name="interactive"><c>--interactive</c>: the command reads the invocation's standard input.</param>
    /// <exception cref="ArgumentException">No command, a variable name that cannot be passed, or a secret under a name the docker client reads itself.</exception>
    public static ToolInvocation Exec(
        string container,
        IReadOnlyList<string> command,
        DockerEndpoint? endpoint = null,
        IReadOnlyDictionary<string, InvocationValue>? environment = null,
        string? user = null,
        bool interactive = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || string.IsNullOrWhiteSpace(command[0]))
        {
            throw new ArgumentException($"docker exec into '{container}' needs a command to run.", nameof(command));
        }

        var invocation = Docker(endpoint, "exec").WithFlag("--interactive", interactive);
        foreach (var (name, value) in (environment ?? new Dictionary<string, InvocationValue>()).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            RequireVariableName(name);
            if (CarriesSecret(value))
            {
                RequireNameTheClientDoesNotRead(name);
                invocation = invocation.WithOption("--env", name).WithEnvironment(name, value);
            }
            else
            {
                invocation = invocation.WithOption("--env", new CompositeValue([$"{name}=", value]));
            }
        }

        return invocation
            .WithOption("--user", Optional(user))
            .WithArguments(container)
            .WithArguments(command.Select(InvocationValue.FromString));
    }

    /// <summary>
    /// <c>docker cp CONTAINER:PATH HOST_PATH</c>: copies a file out of a container through the engine's API, so it works
    /// against a remote engine too and the bytes never pass through a captured standard output.
    /// </summary>
    /// <param name="container">The container's name or id.</param>
    /// <param name="containerPath">The file in the container; absolute.</param>
    /// <param name="hostPath">Where to write it on this machine; its directory must exist. An existing directory receives the file under its own name.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    public static ToolInvocation CopyFromContainer(string container, string containerPath, string hostPath, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "cp").WithArguments(ContainerPath(container, containerPath), LocalPath(hostPath));

    /// <summary><c>docker cp HOST_PATH CONTAINER:PATH</c>: copies a file into a container through the engine's API.</summary>
    /// <param name="hostPath">The file on this machine.</param>
    /// <param name="container">The container's name or id.</param>
    /// <param name="containerPath">Where to write it in the container; absolute, its directory must exist.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    public static ToolInvocation CopyToContainer(string hostPath, string container, string containerPath, DockerEndpoint? endpoint = null) =>
        Docker(endpoint, "cp").WithArguments(LocalPath(hostPath), ContainerPath(container, containerPath));

    private static ToolInvocation Docker(DockerEndpoint? endpoint, params string[] subcommand) =>
        ToolInvocation.Of("docker")
            .WithOption("--host", Optional(endpoint?.Host))
            .WithOption("--context", Optional(endpoint?.Context))
            .WithArguments(subcommand.Select(InvocationValue.FromString));

    private static InvocationValue? Optional(string? text) => text is null ? null : InvocationValue.FromString(text);

    private static bool CarriesSecret(InvocationValue value) => value switch
    {
        SecretValue => true,
        CompositeValue composite => composite.Parts.Any(CarriesSecret),
        _ => false,
    };

    private static void RequireVariableName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('=', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"'{name}' is not an environment variable name: it must be non-empty, without '=' or spaces.", nameof(name));
        }
    }

    /// <summary>Variables the docker client reads for itself: passing a secret through them would change where or how it connects.</summary>
    private static void RequireNameTheClientDoesNotRead(string name)
    {
        string[] clientVariables = ["PATH", "HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSH_AUTH_SOCK"];
        if (name.StartsWith("DOCKER_", StringComparison.OrdinalIgnoreCase) || clientVariables.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"The secret variable '{name}' cannot be passed to docker exec: its value would go through the docker client's own environment, and the client reads '{name}' itself. Give the secret another name.",
                nameof(name));
        }
    }

    /// <summary><c>CONTAINER:PATH</c>, the form <c>docker cp</c> reads as a path inside a container.</summary>
    private static string ContainerPath(string container, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (container.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{container}' is not a container name or id: docker cp would split it at the ':'.", nameof(container));
        }

        return $"{container}:{path}";
    }

    /// <summary>
    /// A host path <c>docker cp</c> cannot mistake for <c>CONTAINER:PATH</c> or an option: it treats absolute paths and
    /// paths starting with '.' as local, and anything else with a ':' as a container's.
    /// </summary>
    private static string LocalPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Path.IsPathRooted(path) || path.StartsWith('.') || (!path.Contains(':', StringComparison.Ordinal) && !path.StartsWith('-'))
            ? path
            : "./" + path;
    }
}
