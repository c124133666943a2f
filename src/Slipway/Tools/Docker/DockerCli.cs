using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>
/// Renders <c>docker</c> invocations. Pure: nothing here runs a process. Every method takes an optional
/// <see cref="DockerEndpoint"/>, rendered as <c>--host</c> or <c>--context</c> before the subcommand
/// (they are global options, so the CLI only reads them there).
/// </summary>
public static class DockerCli
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

    /// <summary><c>docker logs [--tail N] CONTAINER</c>; every line when <paramref name="tail"/> is null.</summary>
    public static ToolInvocation Logs(string container, int? tail = null, DockerEndpoint? endpoint = null)
    {
        if (tail is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tail), tail, "The number of log lines must be zero or more.");
        }

        return Docker(endpoint, "logs")
            .WithOption("--tail", Optional(tail?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithArguments(container);
    }

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

    private static ToolInvocation Docker(DockerEndpoint? endpoint, params string[] subcommand) =>
        ToolInvocation.Of("docker")
            .WithOption("--host", Optional(endpoint?.Host))
            .WithOption("--context", Optional(endpoint?.Context))
            .WithArguments(subcommand.Select(InvocationValue.FromString));

    private static InvocationValue? Optional(string? text) => text is null ? null : InvocationValue.FromString(text);
}
