namespace Slipway.Processes;

/// <summary>
/// One argument token or environment value of a <see cref="ToolInvocation"/>: plain text, a
/// <see cref="Secret"/> (printed masked), or a <see cref="Deferred"/> value (printed as its placeholder
/// until known).
/// </summary>
public abstract record InvocationValue
{
    private protected InvocationValue()
    {
    }

    /// <summary>The text passed to the process. Only the runner calls this.</summary>
    public abstract string Reveal();

    /// <summary>The text safe to print: secrets masked, unknown deferred values as placeholders.</summary>
    public abstract string Display();

    /// <summary>Plain text.</summary>
    public static implicit operator InvocationValue(string text) => new LiteralValue(text);

    /// <summary>A secret.</summary>
    public static implicit operator InvocationValue(Secret secret) => new SecretValue(secret);

    /// <summary>A value produced by an earlier target.</summary>
    public static implicit operator InvocationValue(Deferred deferred) => new DeferredValue(deferred);

    /// <summary>Plain text.</summary>
    public static InvocationValue FromString(string text) => new LiteralValue(text);
}

/// <summary>Plain text; printed as is (still scrubbed of known secrets).</summary>
public sealed record LiteralValue(string Text) : InvocationValue
{
    /// <inheritdoc />
    public override string Reveal() => Text;

    /// <inheritdoc />
    public override string Display() => Redaction.Scrub(Text);
}

/// <summary>A secret; printed as <c>***</c>.</summary>
public sealed record SecretValue(Secret Secret) : InvocationValue
{
    /// <inheritdoc />
    public override string Reveal() => Secret.Reveal();

    /// <inheritdoc />
    public override string Display() => Secret.Mask;
}

/// <summary>A value known only after its producer ran; printed as its placeholder until then.</summary>
public sealed record DeferredValue(Deferred Deferred) : InvocationValue
{
    /// <inheritdoc />
    public override string Reveal() => Deferred.Value;

    /// <inheritdoc />
    public override string Display() => Deferred.IsKnown ? Redaction.Scrub(Deferred.Value) : Deferred.Placeholder;
}

/// <summary>Text made of several parts, e.g. <c>registry/api@</c> followed by a deferred digest.</summary>
public sealed record CompositeValue(IReadOnlyList<InvocationValue> Parts) : InvocationValue
{
    /// <inheritdoc />
    public override string Reveal() => string.Concat(Parts.Select(p => p.Reveal()));

    /// <inheritdoc />
    public override string Display() => string.Concat(Parts.Select(p => p.Display()));
}
