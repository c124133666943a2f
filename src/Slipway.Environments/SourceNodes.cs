using System.Runtime.CompilerServices;
using YamlDotNet.Core;

namespace Slipway.Environments;

// The YAML of one file (and later of a merged stack of files) as a small immutable tree in which
// every node remembers the file, line and column it came from. YamlDotNet's own representation
// model throws on duplicate keys and loses the file name once layers are merged, which is why the
// loader builds this tree from YamlDotNet's parser events instead.

/// <summary>A value in an environment file, with where it was written.</summary>
internal abstract record SourceNode(SourceLocation Location)
{
    /// <summary>How the node reads in "got ..." messages.</summary>
    public abstract string Describe();
}

/// <summary>A scalar exactly as written; its type is decided by the model it binds to.</summary>
internal sealed record SourceScalar(SourceLocation Location, string Text, ScalarStyle Style) : SourceNode(Location)
{
    /// <summary>Interpolation failed and said so; binding skips it rather than report the same value twice.</summary>
    public bool IsUnresolved { get; init; }

    /// <summary>Plain (unquoted) scalars are the only ones that can be numbers, booleans or null.</summary>
    public bool IsPlain => Style == ScalarStyle.Plain;

    /// <summary>YAML 1.2 core schema null: empty, <c>~</c> or <c>null</c>, unquoted.</summary>
    public bool IsNull => IsPlain && Text is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe()
    {
        if (IsNull)
        {
            return "null";
        }

        var looksTyped = IsPlain && Text.Length <= 32 && (double.TryParse(Text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
            || Text is "true" or "false" or "True" or "False" or "TRUE" or "FALSE");
        // Quoted, escaped and cut short: a refused value is named, never echoed whole (a file that is not an
        // environment file at all parses as one long scalar).
        return looksTyped ? Text : Processes.PrintableText.Quote(Text);
    }
}

/// <summary>One <c>key: value</c> pair; the key keeps its own location for "unknown key" errors.</summary>
internal sealed record SourceEntry(string Key, SourceLocation KeyLocation, SourceNode Value);

/// <summary>A mapping, entries in file order.</summary>
internal sealed record SourceMapping(SourceLocation Location, IReadOnlyList<SourceEntry> Entries) : SourceNode(Location)
{
    public override string Describe() => "a mapping";

    // Indexes of large mappings, keyed by their entry list (a changed copy has a new list, so a new index).
    private static readonly ConditionalWeakTable<IReadOnlyList<SourceEntry>, Dictionary<string, SourceEntry>> Indexes = new();

    public SourceEntry? Find(string key)
    {
        // A scan is cheapest for the handful of keys most mappings have; a map of thousands of keys (a hostile or
        // generated file) must not make every lookup in it — origins, errors — cost its length.
        if (Entries.Count > 16)
        {
            return Indexes.GetValue(Entries, static entries =>
            {
                var index = new Dictionary<string, SourceEntry>(entries.Count, StringComparer.Ordinal);
                foreach (var entry in entries)
                {
                    index.TryAdd(entry.Key, entry);
                }

                return index;
            }).GetValueOrDefault(key);
        }

        foreach (var entry in Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>A sequence, items in file order.</summary>
internal sealed record SourceSequence(SourceLocation Location, IReadOnlyList<SourceNode> Items) : SourceNode(Location)
{
    public override string Describe() => "a list";
}

/// <summary>Builds key paths the way errors print them: <c>services.api.replicas</c>, <c>canary.steps[1]</c>.</summary>
internal static class KeyPath
{
    public static string Child(string parent, string key) => parent.Length == 0 ? key : string.Concat(parent, ".", key);

    public static string Item(string parent, int index) =>
        string.Concat(parent, "[", index.ToString(System.Globalization.CultureInfo.InvariantCulture), "]");
}
