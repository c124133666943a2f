using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>Named volumes, created containers, and one-shot commands against a volume: what keeps small state on an engine.</summary>
public static partial class DockerCli
{
    /// <summary>
    /// <c>docker volume inspect --format {{json .}} VOLUME</c>. Exit code 1 ("no such volume") is accepted, so a caller can
    /// ask whether a volume exists without creating it.
    /// </summary>
    public static ToolInvocation VolumeInspect(string volume, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(volume);
        return Docker(endpoint, "volume", "inspect").WithOption("--format", JsonFormat).WithArguments(volume).WithSuccessExitCodes(0, 1);
    }

    /// <summary>
    /// <c>docker container create --name NAME --network none --label k=v… --entrypoint ENTRYPOINT IMAGE</c>: a container that
    /// exists without running. Exit code 1 is accepted: a second create of the same name is refused with a conflict
    /// (<see cref="IsNameConflict"/>), which is what makes the name usable as a lock.
    /// </summary>
    public static ToolInvocation CreateContainer(string name, string image, string entrypoint, IReadOnlyDictionary<string, string> labels, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(entrypoint);
        ArgumentNullException.ThrowIfNull(labels);
        var invocation = Docker(endpoint, "container", "create").WithOption("--name", name).WithOption("--network", "none");
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            invocation = invocation.WithOption("--label", $"{key}={value}");
        }

        return invocation.WithOption("--entrypoint", entrypoint).WithArguments(image).WithSuccessExitCodes(0, 1);
    }

    /// <summary>True when a failed <see cref="CreateContainer"/> failed because the name is taken (the engine's 409 Conflict).</summary>
    public static bool IsNameConflict(ToolResult result) =>
        result is { ExitCode: not 0 } && result.StandardError.Contains("is already in use", StringComparison.Ordinal);

    /// <summary><c>docker container start CONTAINER</c> (detached: the command returns once the container has started).</summary>
    public static ToolInvocation StartContainer(string container, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        return Docker(endpoint, "container", "start").WithArguments(container);
    }

    /// <summary>
    /// <c>docker run --rm [--interactive] --network none --user 0:0 --volume VOLUME:MOUNT[:ro] --entrypoint PROGRAM IMAGE ARGS…</c>:
    /// one program against a named volume in a throwaway container with no network; it runs as root so it can write a
    /// volume the engine created root-owned, whatever user the image names. Creates the volume when it does not exist.
    /// </summary>
    public static ToolInvocation RunOnVolume(string image, string volume, string mount, bool readOnly, IReadOnlyList<string> program, bool interactive = false, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(volume);
        ArgumentException.ThrowIfNullOrWhiteSpace(mount);
        ArgumentNullException.ThrowIfNull(program);
        if (program.Count == 0 || string.IsNullOrWhiteSpace(program[0]))
        {
            throw new ArgumentException($"A command against the volume {volume} needs a program to run.", nameof(program));
        }

        return Docker(endpoint, "run")
            .WithFlag("--rm")
            .WithFlag("--interactive", interactive)
            .WithOption("--network", "none")
            .WithOption("--user", "0:0")
            .WithOption("--volume", $"{volume}:{mount}{(readOnly ? ":ro" : string.Empty)}")
            .WithOption("--entrypoint", program[0])
            .WithArguments(image)
            .WithArguments(program.Skip(1).Select(InvocationValue.FromString));
    }
}
