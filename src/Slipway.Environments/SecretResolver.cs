using System.Collections.Immutable;
using Slipway.Processes;

namespace Slipway.Environments;

/// <summary>
/// Turns <see cref="SecretReference"/>s into <see cref="Secret"/>s through one provider per scheme.
/// Immutable: <see cref="WithProvider"/> returns a new resolver, so a resolver handed to a target
/// cannot change under it.
/// </summary>
public sealed class SecretResolver
{
    private readonly ImmutableDictionary<string, ISecretProvider> _providers;

    private SecretResolver(ImmutableDictionary<string, ISecretProvider> providers) => _providers = providers;

    /// <summary>A resolver with the built-in <c>env</c> and <c>file</c> providers.</summary>
    /// <param name="environmentVariables">Variables that <c>env:</c> reads (the host passes the process environment).</param>
    /// <param name="baseDirectory">Where relative <c>file:</c> paths start (the repository root).</param>
    public static SecretResolver Create(IReadOnlyDictionary<string, string> environmentVariables, string baseDirectory) =>
        new SecretResolver(ImmutableDictionary.Create<string, ISecretProvider>(StringComparer.Ordinal))
            .WithProvider(new EnvironmentVariableSecretProvider(environmentVariables))
            .WithProvider(new FileSecretProvider(baseDirectory, EnvironmentLoader.SecretDirectories(environmentVariables)));

    /// <summary>The schemes that have a provider; pass them to the <see cref="EnvironmentLoader"/>.</summary>
    public IReadOnlyCollection<string> Schemes => [.. _providers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Returns a resolver that also (or instead, for the same scheme) uses <paramref name="provider"/>.</summary>
    /// <param name="provider">The provider to register.</param>
    public SecretResolver WithProvider(ISecretProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return new SecretResolver(_providers.SetItem(provider.Scheme, provider));
    }

    /// <summary>Reads the value of <paramref name="reference"/>.</summary>
    /// <param name="reference">The reference to read.</param>
    /// <exception cref="MissingSecretException">The value is not set, or no provider handles the scheme.</exception>
    public Secret Resolve(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!_providers.TryGetValue(reference.Scheme, out var provider))
        {
            throw new MissingSecretException(reference,
                $"no secret provider is registered for scheme '{reference.Scheme}' (registered: {string.Join(", ", Schemes)})");
        }

        var value = provider.TryRead(reference.Path);
        return value is null
            ? throw new MissingSecretException(reference, provider.HowToProvide(reference.Path))
            : new Secret(value, reference.ToString());
    }
}
