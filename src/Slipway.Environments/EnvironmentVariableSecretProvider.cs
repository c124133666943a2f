namespace Slipway.Environments;

/// <summary>Reads <c>env:NAME</c> references from a set of environment variables.</summary>
/// <param name="variables">The variables to read; the host passes the process environment.</param>
public sealed class EnvironmentVariableSecretProvider(IReadOnlyDictionary<string, string> variables) : ISecretProvider
{
    /// <inheritdoc />
    public string Scheme => "env";

    /// <inheritdoc />
    public string? TryRead(string path) =>
        variables.TryGetValue(path, out var value) && value.Length > 0 ? value : null;

    /// <inheritdoc />
    public string HowToProvide(string path) =>
        $"export {path} or, in GitHub Actions, map it from a repository or environment secret";
}
