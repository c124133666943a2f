namespace Slipway.CosignDouble;

/// <summary>
/// cobra-style flags for one subcommand: <c>--name value</c>, <c>--name=value</c>, booleans as <c>--name</c> or
/// <c>--name=true|false</c>, flags before or after positionals. Unknown flags fail as cobra's do, which is how a
/// v2 cosign answers a v3-only flag.
/// </summary>
internal sealed class DoubleCommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private DoubleCommandLine(IReadOnlyList<string> positionals)
    {
        Positionals = positionals;
    }

    public IReadOnlyList<string> Positionals { get; }

    public static DoubleCommandLine Parse(IEnumerable<string> arguments, IReadOnlySet<string> stringFlags, IReadOnlySet<string> boolFlags)
    {
        var positionals = new List<string>();
        var parsed = new DoubleCommandLine(positionals);
        using var tokens = arguments.GetEnumerator();
        while (tokens.MoveNext())
        {
            var token = tokens.Current;
            if (token == "-y")
            {
                token = "--yes";
            }

            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                positionals.Add(token);
                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? token[2..] : token[2..equals];
            if (boolFlags.Contains(name))
            {
                var value = equals < 0 ? "true" : token[(equals + 1)..];
                parsed._values[name] = value is "true" or "false"
                    ? value
                    : throw new DoubleFailure($"invalid argument \"{value}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax");
            }
            else if (stringFlags.Contains(name))
            {
                if (equals >= 0)
                {
                    parsed._values[name] = token[(equals + 1)..];
                }
                else
                {
                    parsed._values[name] = tokens.MoveNext() ? tokens.Current : throw new DoubleFailure($"flag needs an argument: --{name}");
                }
            }
            else
            {
                throw new DoubleFailure($"unknown flag: --{name}");
            }
        }

        return parsed;
    }

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);

    public bool Flag(string name, bool byDefault) => _values.TryGetValue(name, out var value) ? value == "true" : byDefault;

    public string SingleImage(string command) => Positionals.Count == 1
        ? Positionals[0]
        : throw new DoubleFailure($"accepts 1 arg(s), received {Positionals.Count} (usage: cosign {command} [flags] IMAGE)");
}
