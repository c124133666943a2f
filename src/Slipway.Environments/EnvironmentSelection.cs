namespace Slipway.Environments;

/// <summary>
/// The environment a run works on, for pipelines: loads <c>environments/&lt;name&gt;.yml</c> (with its
/// layers) when a planned target needs it, and returns every configuration error so the host can
/// exit 2 before anything runs. Secrets stay references until a target resolves one.
/// </summary>
public sealed class EnvironmentSelection
{
    private readonly string _rootDirectory;
    private DeployEnvironment? _current;

    /// <summary>Creates a selection over <paramref name="environmentsDirectory"/> (relative to the root).</summary>
    public EnvironmentSelection(string rootDirectory, string environmentsDirectory, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        _rootDirectory = rootDirectory;
        EnvironmentsDirectory = environmentsDirectory;
        Variables = variables;
        Secrets = SecretResolver.Create(variables, rootDirectory);
    }

    /// <summary>The directory of the environment files, relative to the root.</summary>
    public string EnvironmentsDirectory { get; }

    /// <summary>Values for <c>${VAR}</c> and <c>env:</c> secrets.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>Resolves secret references when a target needs one.</summary>
    public SecretResolver Secrets { get; private set; }

    /// <summary>The loaded environment; fails clearly when no planned target asked for one.</summary>
    public DeployEnvironment Current => _current ?? throw new InvalidOperationException(
        "No environment is loaded: the pipeline must call EnvironmentSelection.Load(...) from Validate(plan) for targets that use one.");

    /// <summary>Adds a secret provider (a vault) for its scheme.</summary>
    public EnvironmentSelection WithSecretProvider(ISecretProvider provider)
    {
        Secrets = Secrets.WithProvider(provider);
        return this;
    }

    /// <summary>Loads <paramref name="name"/>; returns every error (empty on success).</summary>
    /// <param name="name">The environment.</param>
    /// <param name="cancellation">Stops the load (Ctrl-C) with <see cref="OperationCanceledException"/>.</param>
    public IReadOnlyList<string> Load(string name, CancellationToken cancellation = default)
    {
        var result = Loader().Load(EnvironmentsDirectory, name, Variables, cancellation);
        _current = result.Environment;
        return [.. result.Errors.Select(e => e.ToString())];
    }

    /// <summary>
    /// Loads every environment file; returns the names that loaded and every error, including those of the directory
    /// itself: missing, holding no environment, or holding files that are not environment files (<c>qa.yaml</c>).
    /// </summary>
    /// <param name="cancellation">Stops the load (Ctrl-C) with <see cref="OperationCanceledException"/>.</param>
    public (IReadOnlyList<string> Valid, IReadOnlyList<string> Errors) LoadAll(CancellationToken cancellation = default)
    {
        var loader = Loader();
        var folder = loader.CheckDirectory(EnvironmentsDirectory);
        var results = loader.LoadAll(EnvironmentsDirectory, Variables, cancellation);
        return ([.. results.Where(r => r.Succeeded).Select(r => r.Name)], [.. folder.Concat(results.SelectMany(r => r.Errors)).Select(e => e.ToString())]);
    }

    private EnvironmentLoader Loader() => new(_rootDirectory, Secrets.Schemes);
}
