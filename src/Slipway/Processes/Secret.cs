namespace Slipway.Processes;

/// <summary>
/// A secret value. Printing it always yields <see cref="Mask"/>; only <see cref="Reveal"/> gives the value,
/// and the runner is the only place that should call it. Every secret created is registered with
/// <see cref="Redaction"/>, so the value is scrubbed from every output even if someone reveals it by mistake.
/// </summary>
public sealed class Secret : IEquatable<Secret>
{
    /// <summary>What every secret prints as.</summary>
    public const string Mask = "***";

    private readonly string _value;

    /// <summary>Creates a secret and registers its value for redaction.</summary>
    /// <param name="value">The secret value.</param>
    /// <param name="name">Where it came from, for messages (e.g. <c>--registry-password</c> or <c>env:REGISTRY_TOKEN</c>).</param>
    public Secret(string value, string name = "secret")
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
        Name = name;
        Redaction.Register(value);
    }

    /// <summary>Where the secret came from; safe to print.</summary>
    public string Name { get; }

    /// <summary>True when the value is empty.</summary>
    public bool IsEmpty => _value.Length == 0;

    /// <summary>The real value. Pass it only to a process or an API, never to an output.</summary>
    public string Reveal() => _value;

    /// <summary>Always <see cref="Mask"/>.</summary>
    public override string ToString() => Mask;

    /// <inheritdoc />
    public bool Equals(Secret? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Secret other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
}
