using System.Collections.Immutable;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Compose;

/// <summary>
/// One Compose project as every Compose call must name it: the project name, the files in order
/// (later files override earlier ones), the Docker endpoint, the variables the files interpolate
/// (<c>${API_IMAGE}</c>, <c>${POSTGRES_PASSWORD}</c>…), and the Compose that runs it (<see cref="Driver"/>).
/// Immutable; every <c>WithX</c> returns a copy.
/// </summary>
/// <remarks>
/// Variables travel in the process environment of Compose, never on its command line, so a secret
/// variable prints as <c>***</c> and never reaches a file.
/// </remarks>
public sealed record ComposeProject
{
    /// <summary>Creates a project named <paramref name="name"/> from <paramref name="files"/>.</summary>
    public ComposeProject(string name, IEnumerable<string> files, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(files);
        Name = name;
        Files = [.. files];
        if (Files.IsEmpty)
        {
            throw new ArgumentException("A Compose project needs at least one file.", nameof(files));
        }

        Endpoint = endpoint ?? DockerEndpoint.Default;
    }

    /// <summary>The project name (<c>--project-name</c>): the prefix of every container, network and volume.</summary>
    public string Name { get; }

    /// <summary>
    /// The label Compose puts on every container, network and volume of the project,
    /// <c>com.docker.compose.project=NAME</c>, with the name normalised as Compose does (lower case; only
    /// letters, digits, <c>-</c> and <c>_</c> kept). Filter <c>docker … ls</c> by it to find what the project left.
    /// </summary>
    public string Label => "com.docker.compose.project=" + string.Concat(Name.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'));

    /// <summary>The Compose files, in the order they are layered.</summary>
    public ImmutableArray<string> Files { get; private init; }

    /// <summary>The Docker engine the project lives on.</summary>
    public DockerEndpoint Endpoint { get; }

    /// <summary>The Compose that runs the project's commands: the <c>docker compose</c> plugin unless told otherwise.</summary>
    public ComposeDriver Driver { get; private init; } = ComposeDriver.Plugin;

    /// <summary>The variables the Compose files interpolate, by name.</summary>
    public ImmutableSortedDictionary<string, InvocationValue> Variables { get; private init; } =
        ImmutableSortedDictionary<string, InvocationValue>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Returns a copy with <paramref name="file"/> layered on top of the others.</summary>
    public ComposeProject WithFile(string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        return this with { Files = Files.Add(file) };
    }

    /// <summary>Returns a copy run by <paramref name="driver"/> (see <see cref="ComposeDriver.DetectAsync"/>).</summary>
    public ComposeProject WithDriver(ComposeDriver driver)
    {
        ArgumentNullException.ThrowIfNull(driver);
        return this with { Driver = driver };
    }

    /// <summary>Returns a copy where the files see <paramref name="name"/> = <paramref name="value"/>.</summary>
    public ComposeProject WithVariable(string name, InvocationValue value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        return this with { Variables = Variables.SetItem(name, value) };
    }
}
