namespace Slipway.Environments;

/// <summary>
/// Reads secrets for one reference scheme (<c>env</c>, <c>file</c>, or e.g. <c>vault</c>). Register
/// providers with <see cref="SecretResolver.WithProvider"/>; the loader accepts a scheme only when a
/// provider for it is registered, so a typo in a scheme fails at load time, not mid-deploy.
/// </summary>
public interface ISecretProvider
{
    /// <summary>The scheme before the colon, lower case, e.g. <c>vault</c>.</summary>
    string Scheme { get; }

    /// <summary>Returns the value for <paramref name="path"/>, or null when it is not set.</summary>
    /// <param name="path">The part of the reference after the colon.</param>
    string? TryRead(string path);

    /// <summary>One sentence telling a person how to provide the value, e.g. <c>export REGISTRY_PASSWORD</c>.</summary>
    /// <param name="path">The part of the reference after the colon.</param>
    string HowToProvide(string path);
}
