using Slipway.Delivery;
using Slipway.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Environments;

/// <summary>A temporary environments directory written from inline YAML; deleted on dispose.</summary>
internal sealed class ScratchEnvironments : IDisposable
{
    public const string MinimalBase = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          compose:
            project: scratch
        registry:
          address: 127.0.0.1:5000
        services:
          api:
            image: api
            dockerfile: samples/Api/Dockerfile
        state_directory: .slipway/state/scratch
        """;

    public ScratchEnvironments(params (string Name, string Yaml)[] files)
    {
        Root = Directory.CreateTempSubdirectory("slipway-env-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, "environments"));
        foreach (var (name, yaml) in files)
        {
            File.WriteAllText(Path.Combine(Root, "environments", name + ".yml"), yaml);
        }
    }

    public string Root { get; }

    public EnvironmentLoadResult Load(string name, IReadOnlyDictionary<string, string>? variables = null, IEnumerable<string>? schemes = null) =>
        (schemes is null ? new EnvironmentLoader(Root) : new EnvironmentLoader(Root, schemes))
            .Load("environments", name, variables ?? new Dictionary<string, string>());

    public DeployEnvironment LoadValid(string name, IReadOnlyDictionary<string, string>? variables = null)
    {
        var result = Load(name, variables);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Environment!;
    }

    /// <summary>The delivery's view of <paramref name="name"/>: its matrix, no secrets, this root, the local engine's default socket.</summary>
    public DeliveryEnvironment Delivery(string name) => new()
    {
        Environment = LoadValid(name),
        Secrets = SecretResolver.Create(new Dictionary<string, string>(), Root),
        RootDirectory = Root,
        EnvironmentFile = $"environments/{name}.yml",
        LocalEngine = DockerEndpoint.ForHost("unix:///var/run/docker.sock"),
    };

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
