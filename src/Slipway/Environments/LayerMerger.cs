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
        var indexByKey = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            indexByKey[entries[i]!.Key] = i;
        }

        foreach (var entry in child.Entries)
        {
            var exists = indexByKey.TryGetValue(entry.Key, out var index);
            if (entry.Value is SourceScalar { IsNull: true })
            {
                if (exists)
                {
                    entries[index] = null;
                    indexByKey.Remove(entry.Key);
                }

                continue;
            }

            var value = entry.Value is SourceMapping childMapping
                ? Merge(exists ? entries[index]!.Value as SourceMapping : null, childMapping)
                : entry.Value;
            var merged = entry with { Value = value };
            if (exists)
            {
                entries[index] = merged;
            }
            else
            {
                indexByKey[entry.Key] = entries.Count;
                entries.Add(merged);
            }
        }

        return new SourceMapping(child.Location, [.. entries.OfType<SourceEntry>()]);
    }
}
