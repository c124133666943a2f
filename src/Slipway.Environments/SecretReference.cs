using Slipway.Processes;

namespace Slipway.Environments;

/// <summary>
/// Where a secret lives, never the secret itself: <c>env:REGISTRY_PASSWORD</c>, <c>file:secrets/tls.key</c>,
/// or <c>scheme:path</c> for a registered <see cref="ISecretProvider"/>. Environment files hold only
/// references, so they can be committed, printed and diffed; the value is read when a target needs it.
/// </summary>
public sealed record SecretReference
{
    /// <summary>Creates a reference.</summary>
    /// <param name="scheme">The provider scheme, e.g. <c>env</c>.</param>
    /// <param name="path">What the provider looks up, e.g. <c>REGISTRY_PASSWORD</c>.</param>
    /// <param name="environment">The environment that declared it, named in "not set" messages.</param>
    public SecretReference(string scheme, string path, string environment)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Scheme = scheme;
        Path = path;
        Environment = environment ?? string.Empty;
    }

    /// <summary>The provider scheme, e.g. <c>env</c> or <c>file</c>.</summary>
    public string Scheme { get; }

    /// <summary>What the provider looks up: a variable name, a file path, a vault key.</summary>
    public string Path { get; }

    /// <summary>The environment whose file declared the reference.</summary>
    public string Environment { get; }

    /// <summary>
    /// Splits <c>scheme:path</c>. Returns false when there is no scheme or no path; whether the scheme
    /// is known is the loader's question, because providers are registered at run time.
    /// </summary>
    /// <param name="text">The reference text.</param>
    /// <param name="environment">The environment that declares it.</param>
    /// <param name="reference">The parsed reference.</param>
    public static bool TryParse(string? text, string environment, out SecretReference? reference)
    {
        reference = null;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var scheme = text[..colon];
        foreach (var c in scheme)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        reference = new SecretReference(scheme, text[(colon + 1)..], environment);
        return true;
    }

    /// <summary>Reads the value through <paramref name="resolver"/>; call it only when a target runs.</summary>
    /// <param name="resolver">The providers to read from.</param>
    /// <exception cref="MissingSecretException">The provider has no value for this reference.</exception>
    public Secret Resolve(SecretResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return resolver.Resolve(this);
    }

    /// <summary>The reference, e.g. <c>env:REGISTRY_PASSWORD</c> — never the value.</summary>
    public override string ToString() => $"{Scheme}:{Path}";
}
