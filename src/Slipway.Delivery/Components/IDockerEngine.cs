using Slipway.Targets;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Components;

/// <summary>The Docker engine builds, E2E stacks and local deploys talk to: <c>--docker-host</c>, else the provisioned one, else Docker's default.</summary>
public interface IDockerEngine : IPipeline
{
    /// <summary>--docker-host.</summary>
    [Parameter("Docker engine to use, in DOCKER_HOST form; default: the provisioned .slipway/docker.sock when it exists, else Docker's default")]
    string? DockerHost => TryGetValue(() => DockerHost);

    /// <summary>The engine Docker commands talk to, decided when they run (Provision may have just started one).</summary>
    DockerEndpoint Engine
    {
        get
        {
            var provisioned = Path.Combine(RootDirectory, Pipeline.StateDirectoryName, "docker.sock");
            return DockerHost is { Length: > 0 } host ? DockerEndpoint.ForHost(host)
                : File.Exists(provisioned) ? DockerEndpoint.ForHost("unix://" + provisioned)
                : DockerEndpoint.Default;
        }
    }
}
