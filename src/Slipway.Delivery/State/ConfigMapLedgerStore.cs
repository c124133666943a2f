using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.State;

/// <summary>
/// The ledger in ConfigMaps beside the Helm release: <c>&lt;release&gt;-slipway-ledger</c> holds the newest entries (key
/// <c>ledger.jsonl</c>); an append reads it and replaces it at the <c>resourceVersion</c> it read, so a concurrent append
/// is never lost (the loser of the race reads again). A ConfigMap holds at most 1 MiB: once the ledger's newest part would
/// pass <see cref="CompactAt"/>, that part is moved, unchanged, into an immutable ConfigMap <c>&lt;release&gt;-slipway-ledger-NNNN</c>
/// and the newest part starts again. Every part carries the label <c>slipway.dev/ledger=&lt;release&gt;</c>, so one
/// <c>kubectl get configmaps -l</c> reads the whole ledger, oldest part first; nothing is ever dropped.
/// </summary>
internal sealed class ConfigMapLedgerStore(KubernetesState cluster) : ILedgerStore
{
    /// <summary>The key of the ledger's lines in each ConfigMap.</summary>
    public const string Key = "ledger.jsonl";

    /// <summary>How large the newest part may grow before it is moved aside: well under the API server's 1 MiB, leaving room for the entry being appended.</summary>
    public const int CompactAt = 768 * 1024;

    private const string PartLabel = "slipway.dev/ledger-part";

    /// <summary>How many times an append reads again after losing a race to another runner's write.</summary>
    private const int Attempts = 20;

    /// <inheritdoc />
    public string Location => $"the ConfigMap {cluster.LedgerConfigMap} in {cluster.Where}";

    /// <inheritdoc />
    public string? ReadText()
    {
        var parts = cluster.List("configmaps", $"{KubernetesState.LedgerLabel}={cluster.Release}");
        if (parts.Count == 0)
        {
            return null;
        }

        // The archived parts in order of their number, then the newest part (which has no number).
        var text = new StringBuilder();
        foreach (var part in parts.OrderBy(p => PartNumber(p) ?? int.MaxValue))
        {
            text.Append(part["data"]?[Key]?.GetValue<string>());
        }

        return Encoding.UTF8.GetByteCount(text.ToString()) > RecordedValue.MaxLedgerBytes
            ? throw new IOException($"The ledger in {cluster.Where} ({parts.Count} ConfigMaps labelled {KubernetesState.LedgerLabel}={cluster.Release}) is larger than the limit of {RecordedValue.MaxLedgerBytes >> 20} MiB for a ledger; copy the oldest parts aside (they are the audit trail: keep them) and delete them from the cluster.")
            : text.ToString();
    }

    /// <inheritdoc />
    public void AppendLines(byte[] lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var added = Encoding.UTF8.GetString(lines);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (TryAppend(added))
            {
                return;
            }

            // Another runner wrote between our read and our write: read again, after a short, spread-out pause.
            Thread.Sleep(Random.Shared.Next(20, 100 * Math.Min(attempt, 5)));
        }

        throw new IOException($"Could not append to {Location}: {Attempts} attempts in a row lost the race to other writers; the lines are not recorded.");
    }

    private bool TryAppend(string added)
    {
        var newest = cluster.Get("configmap", cluster.LedgerConfigMap);
        if (newest is null)
        {
            return cluster.Create(ConfigMap(cluster.LedgerConfigMap, added, archivedParts: 0, part: null));
        }

        var text = newest["data"]?[Key]?.GetValue<string>() ?? string.Empty;
        var archived = int.TryParse(newest["metadata"]?["annotations"]?[PartLabel]?.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (text.Length > 0 && Encoding.UTF8.GetByteCount(text) + Encoding.UTF8.GetByteCount(added) > CompactAt)
        {
            // Archive first, then start the newest part again at the version we read: a crash in between leaves the entries
            // twice (read as duplicates, never lost); a lost race deletes the archive made from a part that changed since.
            var name = $"{cluster.LedgerConfigMap}-{(archived + 1).ToString("D4", CultureInfo.InvariantCulture)}";
            if (!cluster.Create(ConfigMap(name, text, archived + 1, part: archived + 1)))
            {
                return false;
            }

            if (!cluster.Replace(WithVersion(ConfigMap(cluster.LedgerConfigMap, added, archived + 1, part: null), newest)))
            {
                cluster.Delete("configmap", name);
                return false;
            }

            cluster.Session.Info($"The ledger's newest part passed {CompactAt >> 10} KiB: its entries are kept, unchanged, in the ConfigMap {name}.");
            return true;
        }

        return cluster.Replace(WithVersion(ConfigMap(cluster.LedgerConfigMap, text + added, archived, part: null), newest));
    }

    /// <summary>A part of the ledger: the newest (<paramref name="part"/> null, mutable) or an archived one (numbered, immutable).</summary>
    private JsonObject ConfigMap(string name, string text, int archivedParts, int? part)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [KubernetesState.LedgerLabel] = cluster.Release };
        var metadata = cluster.Metadata(name, labels);
        if (part is { } number)
        {
            metadata["labels"]![PartLabel] = number.ToString("D4", CultureInfo.InvariantCulture);
        }
        else
        {
            metadata["annotations"] = new JsonObject { [PartLabel] = archivedParts.ToString(CultureInfo.InvariantCulture) };
        }

        var map = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = metadata, ["data"] = new JsonObject { [Key] = text } };
        if (part is not null)
        {
            map["immutable"] = true;
        }

        return map;
    }

    private static JsonObject WithVersion(JsonObject item, JsonObject read)
    {
        item["metadata"]!["resourceVersion"] = read["metadata"]?["resourceVersion"]?.GetValue<string>();
        return item;
    }

    private static int? PartNumber(JsonObject part) =>
        int.TryParse(part["metadata"]?["labels"]?[PartLabel]?.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
