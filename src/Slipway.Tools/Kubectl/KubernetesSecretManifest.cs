using System.Text.Json;
using Slipway.Processes;

namespace Slipway.Tools.Kubectl;

/// <summary>
/// Renders an Opaque Kubernetes Secret as JSON for <see cref="KubectlCli.ApplyFromStandardInput"/>. The values go in
/// <c>stringData</c>, each as a <see cref="Secret"/> part of a <see cref="CompositeValue"/>: the process receives the
/// real manifest, while every printed form (dry run, logs, errors) shows the structure with <c>***</c> for each value.
/// </summary>
public static class KubernetesSecretManifest
{
    /// <summary>The manifest of Secret <paramref name="name"/> in <paramref name="namespace"/> holding <paramref name="values"/> (sorted by key).</summary>
    /// <param name="name">The Secret's name (a DNS subdomain).</param>
    /// <param name="namespace">Its namespace.</param>
    /// <param name="values">Key → value; keys are environment variable names.</param>
    /// <param name="labels">Labels, e.g. <c>app.kubernetes.io/managed-by</c>.</param>
    /// <param name="type">The Secret type: <c>Opaque</c>, or <c>kubernetes.io/tls</c> with the keys <c>tls.crt</c> and <c>tls.key</c>.</param>
    public static InvocationValue Render(string name, string @namespace, IReadOnlyDictionary<string, Secret> values, IReadOnlyDictionary<string, string>? labels = null, string type = "Opaque")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(@namespace);
        ArgumentNullException.ThrowIfNull(values);
        var parts = new List<InvocationValue>();
        var head = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["name"] = name,
            ["namespace"] = @namespace,
        };
        if (labels is { Count: > 0 })
        {
            head["labels"] = new SortedDictionary<string, string>(labels.ToDictionary(), StringComparer.Ordinal);
        }

        parts.Add($"{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":{JsonSerializer.Serialize(type)},\"metadata\":{JsonSerializer.Serialize(head)},\"stringData\":{{");
        var first = true;
        foreach (var (key, secret) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(key);
            ArgumentNullException.ThrowIfNull(secret);
            parts.Add((first ? string.Empty : ",") + JsonSerializer.Serialize(key) + ":\"");

            // JSON-escaped, without its quotes; a Secret of its own so the escaped form is scrubbed too.
            var escaped = JsonSerializer.Serialize(secret.Reveal())[1..^1];
            parts.Add(escaped == secret.Reveal() ? secret : new Secret(escaped, secret.Name));
            parts.Add("\"");
            first = false;
        }

        parts.Add("}}\n");
        return new CompositeValue(parts);
    }
}
