using System.Text;
using YamlDotNet.Core;

namespace Slipway.Environments;

/// <summary>
/// Replaces <c>${NAME}</c> and <c>${NAME:-default}</c> in scalar values with the variables the host
/// passes (parameters and environment variables); a default may hold placeholders itself (<c>${A:-${B}}</c>);
/// <c>$${</c> writes a literal <c>${</c>. Runs after
/// layering, so a placeholder in base.yml that a child overrides never needs a value. An unresolved
/// name is an error at its own position, never an empty string.
/// </summary>
internal static class VariableInterpolator
{
    /// <summary>How deep defaults may nest placeholders: <c>${A:-${B:-${C}}}</c> is two levels.</summary>
    private const int MaxNesting = 8;

    /// <summary>
    /// How much text placeholders may add to one environment: a long variable used in every value of a large file
    /// must not grow the environment without bound.
    /// </summary>
    private const long MaxInsertedCharacters = 16L << 20;

    public static SourceNode Interpolate(SourceNode node, string path, IReadOnlyDictionary<string, string> variables, ICollection<ConfigurationError> errors) =>
        Interpolate(node, path, variables, errors, new Budget());

    private static SourceNode Interpolate(SourceNode node, string path, IReadOnlyDictionary<string, string> variables, ICollection<ConfigurationError> errors, Budget budget)
    {
        switch (node)
        {
            case SourceScalar scalar:
                return scalar.Text.Contains('$', StringComparison.Ordinal) ? InterpolateScalar(scalar, path, variables, errors, budget) : scalar;

            case SourceMapping mapping:
                {
                    // Copy only when something changed: most values hold no placeholder.
                    SourceEntry[]? changed = null;
                    for (var i = 0; i < mapping.Entries.Count; i++)
                    {
                        var entry = mapping.Entries[i];
                        var value = entry.Value is SourceScalar s && !s.Text.Contains('$', StringComparison.Ordinal)
                            ? entry.Value
                            : Interpolate(entry.Value, KeyPath.Child(path, entry.Key), variables, errors, budget);
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
                            : Interpolate(item, KeyPath.Item(path, i), variables, errors, budget);
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

    private static SourceScalar InterpolateScalar(SourceScalar scalar, string path, IReadOnlyDictionary<string, string> variables, ICollection<ConfigurationError> errors, Budget budget)
    {
        var text = scalar.Text;
        var result = new StringBuilder(text.Length);
        if (!Expand(text, 0, text.Length, result, variables, budget, 0, out var failure))
        {
            Report(scalar, path, failure.Offset, failure.Message, errors);
            return scalar with { IsUnresolved = true };
        }

        return scalar with { Text = result.ToString() };
    }

    /// <summary>
    /// Expands <c>text[start..end)</c> into <paramref name="result"/>. A default may itself hold placeholders
    /// (<c>${A:-${B:-x}}</c>: A, else B, else x), up to <see cref="MaxNesting"/> levels; the default is expanded only
    /// when it is used, so an unset variable in an unused default is no error.
    /// </summary>
    private static bool Expand(string text, int start, int end, StringBuilder result, IReadOnlyDictionary<string, string> variables, Budget budget, int nesting, out (int Offset, string Message) failure)
    {
        failure = default;
        var i = start;
        while (i < end)
        {
            if (text[i] != '$')
            {
                result.Append(text[i++]);
                continue;
            }

            if (i + 2 < end && text[i + 1] == '$' && text[i + 2] == '{')
            {
                result.Append("${");
                i += 3;
                continue;
            }

            if (i + 1 >= end || text[i + 1] != '{')
            {
                result.Append(text[i++]);
                continue;
            }

            var close = MatchingBrace(text, i + 2, end);
            if (close < 0)
            {
                failure = (i, "unterminated \"${\"; close it with \"}\" or write \"$${\" for a literal");
                return false;
            }

            var separator = text.IndexOf(":-", i + 2, close - i - 2, StringComparison.Ordinal);
            var name = text[(i + 2)..(separator < 0 ? close : separator)];
            if (!IsVariableName(name))
            {
                failure = (i, $"{Processes.PrintableText.Quote(name)} is not a variable name; use letters, digits and '_'");
                return false;
            }

            if (variables.TryGetValue(name, out var value) && (separator < 0 || value.Length > 0))
            {
                if ((budget.Remaining -= value.Length) < 0)
                {
                    failure = (i, $"placeholders add more than the limit of {MaxInsertedCharacters >> 20} MiB of text to this environment; \"{name}\" is too long to repeat this often");
                    return false;
                }

                result.Append(value);
            }
            else if (separator >= 0)
            {
                // Shell semantics: ":-" also covers a variable that is set but empty.
                if (nesting >= MaxNesting)
                {
                    failure = (i, $"defaults nest deeper than {MaxNesting} levels; write the value out");
                    return false;
                }

                if (!Expand(text, separator + 2, close, result, variables, budget, nesting + 1, out failure))
                {
                    return false;
                }
            }
            else
            {
                failure = (i, $"variable \"{name}\" is not set; set it as a parameter or environment variable, or give a default with ${{{name}:-value}}");
                return false;
            }

            i = close + 1;
        }

        return true;
    }

    /// <summary>What is left of <see cref="MaxInsertedCharacters"/> in one load.</summary>
    private sealed class Budget
    {
        public long Remaining { get; set; } = MaxInsertedCharacters;
    }

    /// <summary>The <c>}</c> that closes a <c>${</c> whose name starts at <paramref name="from"/>, skipping nested placeholders; -1 when none.</summary>
    private static int MatchingBrace(string text, int from, int end)
    {
        var open = 0;
        for (var j = from; j < end; j++)
        {
            if (text[j] == '$' && j + 2 < end && text[j + 1] == '$' && text[j + 2] == '{')
            {
                j += 2;
            }
            else if (text[j] == '$' && j + 1 < end && text[j + 1] == '{')
            {
                open++;
                j++;
            }
            else if (text[j] == '}')
            {
                if (open == 0)
                {
                    return j;
                }

                open--;
            }
        }

        return -1;
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
