using System.Collections;
using System.Globalization;
using System.Text;

namespace Slipway.Environments;

/// <summary>
/// Renders a resolved environment as YAML-like text for <c>--print-environment</c>: every value after
/// layering and interpolation, defaults included. Secrets appear as their references
/// (<c>env:REGISTRY_PASSWORD</c>); the printer has no resolver, so it cannot print a value.
/// </summary>
public static class EnvironmentPrinter
{
    /// <summary>Renders <paramref name="environment"/>.</summary>
    /// <param name="environment">The environment to print.</param>
    /// <param name="withOrigins">When true, each value written in a file is followed by <c># file:line</c>; defaults by <c># default</c>.</param>
    public static string Render(DeployEnvironment environment, bool withOrigins)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var lines = new List<string>
        {
            $"# environment: {environment.Name}" + (environment.Layers.Count > 0 ? $" (layers: {string.Join(", ", environment.Layers)})" : string.Empty),
        };
        var writer = new Writer(environment.Origins, withOrigins, lines);
        writer.WriteRecord(RecordShape.For(typeof(DeployEnvironment)), environment, string.Empty, 0);
        return string.Join('\n', lines) + "\n";
    }

    private sealed class Writer(EnvironmentOrigins origins, bool withOrigins, List<string> lines)
    {
        public void WriteRecord(RecordShape shape, object record, string path, int indent)
        {
            foreach (var key in shape.Keys)
            {
                var value = key.Property.GetValue(record);
                if (value is null || value is ICollection { Count: 0 })
                {
                    continue;
                }

                WriteEntry(key.Name, key.Shape, value, KeyPath.Child(path, key.Name), indent);
            }
        }

        private void WriteEntry(string name, ValueShape shape, object value, string path, int indent)
        {
            var prefix = new string(' ', indent) + Quote(name, isKey: true) + ":";
            switch (shape)
            {
                case RecordShape record:
                    lines.Add(prefix + Origin(path));
                    WriteRecord(record, value, path, indent + 2);
                    break;
                case MapShape map:
                    lines.Add(prefix + Origin(path));
                    foreach (DictionaryEntry entry in (IDictionary)AsDictionary(value))
                    {
                        var key = (string)entry.Key;
                        WriteEntry(key, map.Value, entry.Value!, KeyPath.Child(path, key), indent + 2);
                    }

                    break;
                case ListShape list:
                    lines.Add(prefix + Origin(path));
                    var index = 0;
                    foreach (var item in (IEnumerable)value)
                    {
                        WriteItem(list.Element, item, KeyPath.Item(path, index++), indent + 2);
                    }

                    break;
                default:
                    lines.Add($"{prefix} {FormatScalar(shape, value)}{Origin(path)}");
                    break;
            }
        }

        private void WriteItem(ValueShape shape, object item, string path, int indent)
        {
            var dash = new string(' ', indent) + "- ";
            if (shape is RecordShape record)
            {
                var start = lines.Count;
                WriteRecord(record, item, path, indent + 2);
                if (lines.Count > start)
                {
                    // The first key of a list item shares the line with its dash, as YAML writes it.
                    lines[start] = dash + lines[start].TrimStart();
                }

                return;
            }

            lines.Add(dash + FormatScalar(shape, item) + Origin(path));
        }

        private string Origin(string path)
        {
            if (!withOrigins)
            {
                return string.Empty;
            }

            return origins.TryGet(path, out var location) ? $"  # {location}" : "  # default";
        }

        private static object AsDictionary(object value) =>
            value as IDictionary ?? throw new InvalidOperationException($"{value.GetType()} is not a dictionary");
    }

    private static string FormatScalar(ValueShape shape, object value) => shape switch
    {
        EnumShape => EnumShape.NameOf(value),
        ParsedScalarShape parsed => parsed.Format(value),
        BooleanShape => (bool)value ? "true" : "false",
        IntegerShape or NumberShape => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        SecretReferenceShape => value.ToString()!,
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty),
    };

    /// <summary>Double-quotes text that YAML would otherwise read as something else.</summary>
    private static string Quote(string text, bool isKey = false)
    {
        // YAML 1.1 readers (docker-compose v1) take yes/no/on/off as booleans, so such values are
        // quoted; as keys they would only look odd ("on": tag), and every key here is a string.
        var needsQuotes = text.Length == 0
            || text != text.Trim()
            || "-?:,[]{}#&*!|>'\"%@`".Contains(text[0], StringComparison.Ordinal)
            || text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal)
            || text.Contains('\n', StringComparison.Ordinal)
            || text is "true" or "false" or "null" or "~"
            || (!isKey && text is "yes" or "no" or "on" or "off")
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (!needsQuotes)
        {
            return text;
        }

        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}
