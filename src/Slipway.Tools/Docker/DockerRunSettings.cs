using System.Collections.Immutable;
using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>What <see cref="DockerCli.Run"/> starts. Immutable; every <c>WithX</c> returns a copy.</summary>
/// <param name="Image">The image reference to run.</param>
public sealed record DockerRunSettings(string Image)
{
    /// <summary>Run in the background and print the container id (<c>--detach</c>). Default: true.</summary>
    public bool Detached { get; init; } = true;

    /// <summary>The container name (<c>--name</c>).</summary>
    public string? Name { get; init; }

    /// <summary>The network to attach to (<c>--network</c>).</summary>
    public string? Network { get; init; }

    /// <summary>Published ports, each bound to 127.0.0.1 only.</summary>
    public ImmutableArray<PortMapping> Ports { get; init; } = [];

    /// <summary>Environment variables (<c>--env K=V</c>), sorted by name; values may be <see cref="Secret"/>s.</summary>
    public ImmutableSortedDictionary<string, InvocationValue> Environment { get; init; } = ImmutableSortedDictionary.Create<string, InvocationValue>(StringComparer.Ordinal);

    /// <summary>Container labels (<c>--label k=v</c>), sorted by key.</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Remove the container when it exits (<c>--rm</c>).</summary>
    public bool RemoveOnExit { get; init; }

    /// <summary>The command and its arguments, after the image.</summary>
    public ImmutableArray<string> Command { get; init; } = [];

    /// <summary>Publishes <paramref name="containerPort"/> on 127.0.0.1:<paramref name="hostPort"/>.</summary>
    public DockerRunSettings WithPort(int hostPort, int containerPort) => this with { Ports = Ports.Add(new PortMapping(hostPort, containerPort)) };

    /// <summary>Sets an environment variable; pass a <see cref="Secret"/> to keep it masked in output.</summary>
    public DockerRunSettings WithEnvironment(string name, InvocationValue value) => this with { Environment = Environment.SetItem(name, value) };

    /// <summary>Sets a label.</summary>
    public DockerRunSettings WithLabel(string key, string value) => this with { Labels = Labels.SetItem(key, value) };
}

/// <summary>A published port. Rendered as <c>127.0.0.1:HOST:CONTAINER</c>.</summary>
/// <param name="HostPort">The port on the host's loopback interface.</param>
/// <param name="ContainerPort">The port inside the container.</param>
public sealed record PortMapping(int HostPort, int ContainerPort)
{
    /// <summary>
    /// <c>127.0.0.1:HOST:CONTAINER</c>. Loopback only: a pipeline's containers (a registry, a database under
    /// test) must not be reachable from the network, and plain <c>-p H:C</c> binds every interface.
    /// </summary>
    public override string ToString() => $"127.0.0.1:{HostPort}:{ContainerPort}";
}
