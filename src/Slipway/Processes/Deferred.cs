namespace Slipway.Processes;

/// <summary>
/// A value that exists only after an earlier target has run — a digest known after a push, say.
/// In a dry run it prints as a named placeholder (<c>&lt;digest of api from Publish&gt;</c>), never a guess.
/// </summary>
public sealed class Deferred
{
    private string? _value;

    /// <summary>Creates a deferred value.</summary>
    /// <param name="description">What the value is, e.g. <c>digest of api</c>.</param>
    /// <param name="producer">The target that produces it, e.g. <c>Publish</c>.</param>
    public Deferred(string description, string producer)
    {
        Description = description;
        Producer = producer;
    }

    /// <summary>What the value is.</summary>
    public string Description { get; }

    /// <summary>The target that produces the value.</summary>
    public string Producer { get; }

    /// <summary>True once the producer has set the value.</summary>
    public bool IsKnown => _value is not null;

    /// <summary>The dry-run rendering: <c>&lt;digest of api from Publish&gt;</c>.</summary>
    public string Placeholder => $"<{Description} from {Producer}>";

    /// <summary>The value; fails with a clear message when the producer has not run.</summary>
    public string Value => _value ?? throw new InvalidOperationException(
        $"The {Description} is not known yet: it is produced by target '{Producer}', which has not run. Run '{Producer}' first, or depend on it.");

    /// <summary>Sets the value (called by the producing target).</summary>
    public void Set(string value) => _value = value ?? throw new ArgumentNullException(nameof(value));

    /// <inheritdoc />
    public override string ToString() => _value ?? Placeholder;
}
