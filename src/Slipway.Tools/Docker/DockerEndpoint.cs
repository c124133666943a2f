namespace Slipway.Tools.Docker;

/// <summary>
/// Which Docker engine an invocation talks to: a daemon address (<c>unix:///var/run/docker.sock</c>,
/// <c>ssh://deploy@build-1</c>, <c>tcp://10.0.0.5:2376</c>) or a named <c>docker context</c>. Both null means
/// the CLI's own default (<c>DOCKER_HOST</c>, then the current context). The CLI refuses both at once, so
/// this type does too, before anything runs.
/// </summary>
public sealed record DockerEndpoint
{
    /// <summary>Creates an endpoint; at most one of <paramref name="host"/> and <paramref name="context"/> may be set.</summary>
    /// <param name="host">A daemon address passed as <c>--host</c>.</param>
    /// <param name="context">A docker context name passed as <c>--context</c>.</param>
    public DockerEndpoint(string? host = null, string? context = null)
    {
        if (!string.IsNullOrWhiteSpace(host) && !string.IsNullOrWhiteSpace(context))
        {
            throw new ArgumentException(
                $"A Docker endpoint takes a host or a context, not both (host '{host}', context '{context}'): docker itself rejects --host with --context.",
                nameof(context));
        }

        Host = string.IsNullOrWhiteSpace(host) ? null : host;
        Context = string.IsNullOrWhiteSpace(context) ? null : context;
    }

    /// <summary>The CLI's default engine: no <c>--host</c>, no <c>--context</c>.</summary>
    public static DockerEndpoint Default { get; } = new();

    /// <summary>The daemon address, e.g. <c>unix:///run/user/1000/docker.sock</c> or <c>ssh://user@host</c>.</summary>
    public string? Host { get; }

    /// <summary>The docker context name.</summary>
    public string? Context { get; }

    /// <summary>An endpoint for a daemon address.</summary>
    public static DockerEndpoint ForHost(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return new DockerEndpoint(host: host);
    }

    /// <summary>An endpoint for a named docker context.</summary>
    public static DockerEndpoint ForContext(string context)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(context);
        return new DockerEndpoint(context: context);
    }
}
