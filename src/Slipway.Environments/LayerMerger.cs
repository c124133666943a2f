namespace Slipway.Environments;

/// <summary>
/// Lays a child file over its parent. The rules, chosen so an override says exactly what changes:
/// mappings merge key by key, recursively; lists and scalars replace the parent's value whole (a
/// partial list merge has no obvious meaning for canary steps or CORS origins); an explicit
/// <c>null</c> (or <c>~</c>) removes the key, restoring the model's default. Nodes keep the location
/// of the file that set them, which is what <c>--show-origin</c> prints.
/// </summary>
internal static class LayerMerger
{
    public static SourceMapping Merge(SourceMapping? parent, SourceMapping child)
    {
        var entries = new List<SourceEntry?>(parent?.Entries ?? []);

        // Most mappings have a handful of keys, where a scan is cheaper than building an index;
        // the services map of a large stack gets one.
        Dictionary<string, int>? indexByKey = null;

        foreach (var entry in child.Entries)
        {
            // A mapping that grows past a handful of keys (a child adding many services to a small parent, or a
            // single layer's map of thousands of keys) gets its index now, so merging never costs n² comparisons.
            if (indexByKey is null && entries.Count > 8)
            {
                indexByKey = new Dictionary<string, int>(entries.Count * 2, StringComparer.Ordinal);
                for (var i = 0; i < entries.Count; i++)
                {
                    if (entries[i] is { } existing)
                    {
                        indexByKey[existing.Key] = i;
                    }
                }
            }

            var index = IndexOf(entries, indexByKey, entry.Key);
            if (entry.Value is SourceScalar { IsNull: true })
            {
                if (index >= 0)
                {
                    entries[index] = null;
                    indexByKey?.Remove(entry.Key);
                }

                continue;
            }

            var value = entry.Value is SourceMapping childMapping
                ? Merge(index >= 0 ? entries[index]!.Value as SourceMapping : null, childMapping)
                : entry.Value;
            var merged = entry with { Value = value };
            if (index >= 0)
            {
                entries[index] = merged;
            }
            else
            {
                indexByKey?.Add(entry.Key, entries.Count);
                entries.Add(merged);
            }
        }

        return new SourceMapping(child.Location, [.. entries.OfType<SourceEntry>()]);
    }

    private static int IndexOf(List<SourceEntry?> entries, Dictionary<string, int>? indexByKey, string key)
    {
        if (indexByKey is not null)
        {
            return indexByKey.TryGetValue(key, out var index) ? index : -1;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is { } entry && string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
