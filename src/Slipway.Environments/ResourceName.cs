using System.Text;
using Slipway.Processes;

namespace Slipway.Environments;

/// <summary>
/// What a name is — of a service, an environment, an SLO probe — everywhere Slipway turns one into a file or folder
/// (<c>artifacts/publish/&lt;service&gt;</c>, <c>environments/&lt;env&gt;.yml</c>), an image repository, a container, a
/// Kubernetes object or a variable. A name is a lowercase DNS label: 1 to 63 of <c>a-z</c>, <c>0-9</c> and <c>-</c>,
/// starting with a letter and not ending with <c>-</c>. So it cannot climb out of a folder (<c>../x</c>), differ from
/// another only in case (<c>api</c>, <c>Api</c>), hold a space, or end in a line break.
/// </summary>
public static class ResourceName
{
    /// <summary>The longest name: a DNS label's 63 characters.</summary>
    public const int MaxLength = 63;

    /// <summary>The rule as a regular expression, for the JSON schema (ECMAScript, where <c>$</c> is the very end).</summary>
    public const string Pattern = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

    /// <summary>The rule in words, as messages state it.</summary>
    public const string Rule = "lowercase letters, digits and '-', starting with a letter, not ending with '-', at most 63 characters";

    /// <summary>True when <paramref name="name"/> follows the rule. Checked character by character: no regex anchor to slip a trailing line break past.</summary>
    /// <param name="name">The name to check.</param>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetterLower(name[0]) || name[^1] == '-')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Null when <paramref name="name"/> is valid, else the message: <c>"Api" is not a valid service name: use …; did
    /// you mean "api"?</c>. The name is quoted with control characters escaped.
    /// </summary>
    /// <param name="kind">What is named, e.g. <c>service</c>.</param>
    /// <param name="name">The name to check.</param>
    public static string? Problem(string kind, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (IsValid(name))
        {
            return null;
        }

        var suggestion = Suggest(name);
        return $"{PrintableText.Quote(name)} is not a valid {kind} name: use {Rule}"
            + (suggestion is null ? string.Empty : $"; did you mean \"{suggestion}\"?");
    }

    /// <summary>
    /// The valid name closest to <paramref name="name"/> (lower-cased, other characters turned into <c>-</c>, trimmed),
    /// or null when nothing sensible is left.
    /// </summary>
    /// <param name="name">An invalid name.</param>
    public static string? Suggest(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(Math.Min(name.Length, MaxLength));
        foreach (var c in name.Trim())
        {
            if (builder.Length == MaxLength)
            {
                break;
            }

            var lower = char.ToLowerInvariant(c);
            if (char.IsAsciiLetterLower(lower) || char.IsAsciiDigit(lower))
            {
                builder.Append(lower);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var suggestion = builder.ToString().Trim('-');
        while (suggestion.Length > 0 && !char.IsAsciiLetterLower(suggestion[0]))
        {
            suggestion = suggestion[1..].TrimStart('-');
        }

        return IsValid(suggestion) && suggestion != name ? suggestion : null;
    }
}

/// <summary>
/// Marks a property whose value (a string) or whose keys (a map) are names of <see cref="Kind"/>, checked by the loader
/// against <see cref="ResourceName"/>.
/// </summary>
/// <param name="kind">What is named, e.g. <c>service</c>, as messages say it.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NameRuleAttribute(string kind) : Attribute
{
    /// <summary>What is named.</summary>
    public string Kind { get; } = kind;
}
