namespace Slipway.Targets;

/// <summary>
/// Marks a pipeline property as a parameter, bound from <c>--kebab-name value</c>, then from the
/// environment variables <c>SLIPWAY_UPPER_NAME</c> and <c>UPPER_NAME</c>, else its initial value.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public class ParameterAttribute : Attribute
{
    /// <summary>Declares a parameter with its description.</summary>
    public ParameterAttribute(string description)
    {
        Description = description;
    }

    /// <summary>Shown in <c>--help</c>.</summary>
    public string Description { get; }

    /// <summary>Overrides the command-line name (without dashes).</summary>
    public string? Name { get; init; }
}

/// <summary>
/// Marks a <see cref="Processes.Secret"/> property as a secret parameter: bound like any parameter, never
/// printed, scrubbed from every output, and masked in GitHub Actions.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : ParameterAttribute
{
    /// <summary>Declares a secret with its description.</summary>
    public SecretAttribute(string description)
        : base(description)
    {
    }
}
