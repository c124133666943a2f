using System.Text;
using YamlDotNet.Core;

namespace Slipway.Environments;

/// <summary>
/// Replaces <c>${NAME}</c> and <c>${NAME:-default}</c> in scalar values with the variables the host
/// passes (parameters and environment variables); <c>$${</c> writes a literal <c>${</c>. Runs after
/// layering, so a placeholder in base.yml that a child overrides never needs a value. An unresolved
/// name is an error at its own position, never an empty string.
/// </summary>
internal static class VariableInterpolator
{
    public static SourceNode Interpolate(SourceNode node, string path, IReadOnlyDictionary<string, string> variables, ICollection<ConfigurationError> errors)
    {
        switch (node)
        {
            case SourceScalar scalar:
                return scalar.Text.Contains('$', StringComparison.Ordinal) ? InterpolateScalar(scalar, path, variables, errors) : scalar;

            case SourceMapping mapping:
                {
                    // Copy only when something changed: most values hold no placeholder.
                    SourceEntry[]? changed = null;
                    for (var i = 0; i < mapping.Entries.Count; i++)
                    {
                        var entry = mapping.Entries[i];
                        var value = entry.Value is SourceScalar s && !s.Text.Contains('$', StringComparison.Ordinal)
                            ? entry.Value
                            : Interpolate(entry.Value, KeyPath.Child(path, entry.Key), variables, errors);
                        if (!ReferenceEquals(value, entry.Value))
                        {
                            changed ??= [.. mapping.Entries];
                            changed[i] = entry with { Value = value };
                        }
                    }

                    return changed is null ? mapping : mapping with { Entries = changed };
                }

            case SourceSequence sequence:
                {
                    SourceNode[]? changed = null;
                    for (var i = 0; i < sequence.Items.Count; i++)
                    {
                        var item = sequence.Items[i];
                        var value = item is SourceScalar s && !s.Text.Contains('$', StringComparison.Ordinal)
                            ? item
                            : Interpolate(item, KeyPath.Item(path, i), variables, errors);
                        if (!ReferenceEquals(value, item))
                        {
                            changed ??= [.. sequence.Items];
                            changed[i] = value;
                        }
                    }

                    return changed is null ? sequence : sequence with { Items = changed };
                }

            default:
                return node;
        }
    }

    private static SourceScalar InterpolateScalar(SourceScalar scalar, string path, IReadOnlyDictionary<string, string> variables, ICollection<ConfigurationError> errors)
    {
        var text = scalar.Text;
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '$')
            {
                result.Append(text[i++]);
                continue;
            }

            if (string.CompareOrdinal(text, i, "$${", 0, 3) == 0)
            {
                result.Append("${");
                i += 3;
                continue;
            }

            if (i + 1 >= text.Length || text[i + 1] != '{')
            {
                result.Append(text[i++]);
                continue;
            }

            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                Report(scalar, path, i, "unterminated \"${\"; close it with \"}\" or write \"$${\" for a literal", errors);
                return scalar with { IsUnresolved = true };
            }

            var inner = text[(i + 2)..close];
            var separator = inner.IndexOf(":-", StringComparison.Ordinal);
            var name = separator < 0 ? inner : inner[..separator];
            if (!IsVariableName(name))
            {
                Report(scalar, path, i, $"\"{name}\" is not a variable name; use letters, digits and '_'", errors);
                return scalar with { IsUnresolved = true };
            }

            if (variables.TryGetValue(name, out var value) && (separator < 0 || value.Length > 0))
            {
                result.Append(value);
            }
            else if (separator >= 0)
            {
                // Shell semantics: ":-" also covers a variable that is set but empty.
                result.Append(inner.AsSpan(separator + 2));
            }
            else
            {
                Report(scalar, path, i,
                    $"variable \"{name}\" is not set; set it as a parameter or environment variable, or give a default with ${{{name}:-value}}", errors);
                return scalar with { IsUnresolved = true };
            }

            i = close + 1;
        }

        return scalar with { Text = result.ToString() };
    }

    private static bool IsVariableName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static void Report(SourceScalar scalar, string path, int offset, string message, ICollection<ConfigurationError> errors)
    {
        // Point at the "${" itself when the scalar sits on one line; block scalars only know where they start.
        var column = scalar.Location.Column;
        if (!scalar.Text.Contains('\n', StringComparison.Ordinal))
        {
            column += scalar.Style switch
            {
                ScalarStyle.Plain => offset,
                ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => offset + 1,
                _ => 0,
            };
        }

        errors.Add(new ConfigurationError(scalar.Location.File, scalar.Location.Line, column, path, message));
    }
}
