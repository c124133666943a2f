using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Components;

/// <summary>
/// The Docker engine builds, E2E stacks and local deploys talk to (<c>--docker-host</c>, else the provisioned one, else
/// Docker's default), and the Compose that runs stacks on it (<c>--compose</c>, else the plugin, else a standalone binary).
/// </summary>
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

    /// <summary>--compose (or SLIPWAY_COMPOSE).</summary>
    [Parameter("Compose to run: 'plugin' (docker compose) or the path of a standalone docker-compose; default: the docker compose plugin when the Docker CLI has one, else docker-compose on PATH")]
    string? Compose => TryGetValue(() => Compose);

    /// <summary>
    /// The Compose every Compose project of this run uses, found once (see <see cref="ComposeDriver.DetectAsync"/>); a dry
    /// run where none answers shows the plugin's commands.
    /// </summary>
    async Task<ComposeDriver> ComposeDriverAsync(IToolSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = RunState(() => new ComposeState());
        if (state.Driver is null)
        {
            try
            {
                state.Driver = await ComposeDriver.DetectAsync(Compose, session.QueryAsync);
            }
            catch (InvalidOperationException ex) when (session.IsDryRun)
            {
                session.Warning($"{ex.Message} The dry run shows the docker compose plugin's commands.");
                return ComposeDriver.Plugin;
            }

            session.Info($"Compose: {state.Driver}");
        }

        return state.Driver;
    }

    /// <summary>The Compose found in this run.</summary>
    private sealed class ComposeState
    {
        public ComposeDriver? Driver { get; set; }
    }
}
