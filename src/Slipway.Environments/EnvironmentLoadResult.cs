namespace Slipway.Environments;

/// <summary>The outcome of loading one environment: the environment, or every error found.</summary>
/// <param name="Name">The environment that was asked for.</param>
/// <param name="Environment">The validated environment; null when there are errors.</param>
/// <param name="Errors">Every error, sorted by file and position.</param>
public sealed record EnvironmentLoadResult(string Name, DeployEnvironment? Environment, IReadOnlyList<ConfigurationError> Errors)
{
    /// <summary>True when the environment loaded without a single error.</summary>
    public bool Succeeded => Environment is not null && Errors.Count == 0;
}
