namespace Slipway.Tools.Docker;

/// <summary>One line of <see cref="DockerCli.ListContainers"/>: which container, of which Compose service, in what state.</summary>
/// <param name="Id">The full container ID.</param>
/// <param name="Name">The container's name, e.g. <c>slipway-e2e-1a2b-api-1</c> (Compose v2; v1 wrote <c>slipway-e2e-1a2b_api_1</c>). Only shown, never parsed: the service comes from its label.</param>
/// <param name="Service">Its Compose service (label <c>com.docker.compose.service</c>); empty for a container Compose did not make.</param>
/// <param name="State">Docker's state word: <c>created</c>, <c>running</c>, <c>restarting</c>, <c>exited</c>, <c>dead</c>…</param>
/// <param name="Status">Docker's status text, e.g. <c>Up 12 seconds (healthy)</c> or <c>Exited (1) 3 seconds ago</c>.</param>
public sealed record ContainerStatus(string Id, string Name, string Service, string State, string Status)
{
    /// <summary>The <c>--format</c> template: tab-separated fields, because label values may contain commas.</summary>
    public const string Format = "{{.ID}}\t{{.Names}}\t{{.Label \"com.docker.compose.service\"}}\t{{.State}}\t{{.Status}}";

    /// <summary>
    /// True when the container is not running, or its healthcheck says it is unhealthy or has not passed yet:
    /// the containers whose logs explain a failure.
    /// </summary>
    public bool NeedsAttention =>
        !string.Equals(State, "running", StringComparison.Ordinal)
        || Status.Contains("(unhealthy)", StringComparison.Ordinal)
        || Status.Contains("(health: starting)", StringComparison.Ordinal);

    /// <summary>Parses the output of <see cref="DockerCli.ListContainers"/>, one container per non-empty line.</summary>
    /// <exception cref="FormatException">A line does not have the five fields of <see cref="Format"/>.</exception>
    public static IReadOnlyList<ContainerStatus> ParseList(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var containers = new List<ContainerStatus>();
        foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            var fields = line.Split('\t');
            if (fields.Length != 5)
            {
                throw new FormatException($"Expected 5 tab-separated fields (ID, name, service, state, status) from docker container ls, got {fields.Length}: '{line}'.");
            }

            containers.Add(new ContainerStatus(fields[0], fields[1], fields[2], fields[3], fields[4]));
        }

        return containers;
    }
}
