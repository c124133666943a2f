namespace Slipway.KubeDouble;

/// <summary>
/// cobra-style flags (helm and kubectl both use cobra): <c>--name value</c>, <c>--name=value</c>, short <c>-n value</c>,
/// booleans as <c>--name</c> or <c>--name=true|false</c>, flags before or after positionals, repeated string flags
/// collected in order. Unknown flags fail as cobra's do, which is how Helm 3 answers a Helm 4-only flag.
/// </summary>
internal sealed class DoubleCommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private DoubleCommandLine(List<string> positionals) => Positionals = positionals;

    public IReadOnlyList<string> Positionals { get; }

    /// <param name="arguments">The tokens after the subcommand.</param>
    /// <param name="stringFlags">Flags that take a value.</param>
    /// <param name="boolFlags">Flags that are true/false.</param>
    /// <param name="optionalValueFlags">Flags whose value is optional (<c>--wait[=watcher]</c>), with the value implied without one.</param>
    /// <param name="shorthands">Short flag → long name (<c>n</c> → <c>namespace</c>).</param>
    public static DoubleCommandLine Parse(
        IEnumerable<string> arguments,
        IReadOnlySet<string> stringFlags,
        IReadOnlySet<string> boolFlags,
        IReadOnlyDictionary<string, string>? optionalValueFlags = null,
        IReadOnlyDictionary<string, string>? shorthands = null)
    {
        var positionals = new List<string>();
        var parsed = new DoubleCommandLine(positionals);
        using var tokens = arguments.GetEnumerator();
        while (tokens.MoveNext())
        {
            var token = tokens.Current;
            if (token == "-" || !token.StartsWith('-'))
            {
                positionals.Add(token);
                continue;
            }

            string name;
            string? inline = null;
            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                name = equals < 0 ? token[2..] : token[2..equals];
                inline = equals < 0 ? null : token[(equals + 1)..];
            }
            else
            {
                var shortName = token[1..2];
                name = shorthands?.GetValueOrDefault(shortName) ?? throw new DoubleFailure($"unknown shorthand flag: '{shortName}' in {token}");
                inline = token.Length > 2 ? token[2..].TrimStart('=') : null;
            }

            if (boolFlags.Contains(name))
            {
                var value = inline ?? "true";
                parsed.Add(name, value is "true" or "false"
                    ? value
                    : throw new DoubleFailure($"invalid argument \"{value}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax"));
            }
            else if (optionalValueFlags is not null && optionalValueFlags.TryGetValue(name, out var implied))
            {
                parsed.Add(name, inline ?? implied);
            }
            else if (stringFlags.Contains(name))
            {
                parsed.Add(name, inline ?? (tokens.MoveNext() ? tokens.Current : throw new DoubleFailure($"flag needs an argument: --{name}")));
            }
            else
            {
                throw new DoubleFailure($"unknown flag: --{name}");
            }
        }

        return parsed;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var values) ? values : [];

    public bool Has(string name) => _values.ContainsKey(name);

    public bool Flag(string name) => Value(name) == "true";

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var values))
        {
            _values[name] = values = [];
        }

        values.Add(value);
    }
}
