namespace Slipway.Environments;

/// <summary>A referenced secret has no value. The message names the reference, the environment and the fix.</summary>
public sealed class MissingSecretException : Exception
{
    /// <summary>Creates the exception for <paramref name="reference"/>.</summary>
    /// <param name="reference">The reference that has no value.</param>
    /// <param name="howToProvide">What the person should do, from the provider.</param>
    public MissingSecretException(SecretReference reference, string howToProvide)
        : base($"secret {reference} for environment '{reference?.Environment}' is not set: {howToProvide}")
    {
        Reference = reference;
    }

    /// <summary>Creates the exception with a message only; prefer the reference overload.</summary>
    public MissingSecretException() { }

    /// <summary>Creates the exception with a message only; prefer the reference overload.</summary>
    /// <param name="message">The message.</param>
    public MissingSecretException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause; prefer the reference overload.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MissingSecretException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The reference that has no value.</summary>
    public SecretReference? Reference { get; }
}
