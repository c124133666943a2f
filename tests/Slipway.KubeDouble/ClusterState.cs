using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.KubeDouble;

/// <summary>
/// The "cluster" and the Helm release records of the double, as files under <c>KUBE_DOUBLE_STATE</c>:
/// <c>cluster/NAMESPACE/KIND/NAME.json</c> (the objects, as applied), <c>releases/NAMESPACE/RELEASE.json</c> (every
/// revision with the objects it rendered) and <c>unready-digests</c> (image digests whose Deployments never become ready).
/// Every command takes <c>state.lock</c> first, so concurrent calls do not interleave.
/// </summary>
internal sealed class ClusterState : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly FileStream _lock;

    private ClusterState(string directory, FileStream held)
    {
        Directory = directory;
        _lock = held;
    }

    public string Directory { get; }

    public static ClusterState Open(Func<string, string?> environment)
    {
        var directory = environment("KUBE_DOUBLE_STATE") is { Length: > 0 } d
            ? Path.GetFullPath(d)
            : throw new DoubleFailure("KUBE_DOUBLE_STATE is not set: the double keeps its cluster and releases in that directory (this is a test double, it reaches no cluster)");
        System.IO.Directory.CreateDirectory(directory);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new ClusterState(directory, new FileStream(Path.Combine(directory, "state.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>Digests (<c>sha256:…</c>) listed one per line in <c>unready-digests</c>.</summary>
    public IReadOnlySet<string> UnreadyDigests()
    {
        var file = Path.Combine(Directory, "unready-digests");
        return File.Exists(file)
            ? File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>A Deployment is ready unless one of its containers runs an image whose digest is listed as unready.</summary>
    public bool IsReady(JsonObject deployment)
    {
        var unready = UnreadyDigests();
        return !Images(deployment).Any(image => unready.Any(d => image.EndsWith("@" + d, StringComparison.Ordinal)));
    }

    public static IReadOnlyList<string> Images(JsonObject deployment) =>
        [.. (deployment["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? [])
            .Select(c => c?["image"]?.GetValue<string>())
            .OfType<string>()];

    public bool NamespaceExists(string name) =>
        System.IO.Directory.Exists(Path.Combine(Directory, "cluster", name)) || File.Exists(ObjectPath("", "namespace", name));

    public void CreateNamespace(string name)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "cluster", name));
        if (!File.Exists(ObjectPath("", "namespace", name)))
        {
            Put("", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } });
        }
    }

    public JsonObject? Get(string @namespace, string kind, string name)
    {
        var path = ObjectPath(@namespace, kind, name);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;
    }

    public IReadOnlyList<JsonObject> List(string @namespace, string kind)
    {
        var directory = Path.GetDirectoryName(ObjectPath(@namespace, kind, "x"))!;
        return System.IO.Directory.Exists(directory)
            ? [.. System.IO.Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject())]
            : [];
    }

    /// <summary>Stores <paramref name="item"/>; returns true when it was new. Cluster-scoped kinds (Namespace) go under the empty namespace.</summary>
    public bool Put(string @namespace, JsonObject item)
    {
        var kind = Kinds.Normalize(item["kind"]?.GetValue<string>() ?? throw new DoubleFailure("error validating data: kind not set"));
        var name = item["metadata"]?["name"]?.GetValue<string>() ?? throw new DoubleFailure("error validating data: metadata.name not set");
        var scope = kind == "namespace" ? string.Empty : @namespace;
        if (kind != "namespace")
        {
            item["metadata"]!["namespace"] = @namespace;
        }

        var path = ObjectPath(scope, kind, name);
        var created = !File.Exists(path);

        // As the API server does: every write gets the next resourceVersion; uid and creationTimestamp are set once.
        var metadata = item["metadata"]!.AsObject();
        var previous = created ? null : JsonNode.Parse(File.ReadAllText(path))!["metadata"];
        metadata["uid"] = previous?["uid"]?.GetValue<string>() ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = previous?["creationTimestamp"]?.GetValue<string>() ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        metadata["resourceVersion"] = NextResourceVersion();
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, item.ToJsonString(Indented), new UTF8Encoding(false));
        return created;
    }

    /// <summary>The cluster's next resourceVersion (one counter for every object, as etcd's revision), under the state lock.</summary>
    private string NextResourceVersion()
    {
        var file = Path.Combine(Directory, "resource-version");
        var next = (File.Exists(file) ? long.Parse(File.ReadAllText(file), System.Globalization.CultureInfo.InvariantCulture) : 1000) + 1;
        File.WriteAllText(file, next.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return next.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool Delete(string @namespace, string kind, string name)
    {
        var path = ObjectPath(@namespace, Kinds.Normalize(kind), name);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    public ReleaseRecord? Release(string @namespace, string release)
    {
        var path = ReleasePath(@namespace, release);
        return File.Exists(path) ? JsonSerializer.Deserialize<ReleaseRecord>(File.ReadAllText(path)) : null;
    }

    public void Save(string @namespace, string release, ReleaseRecord? record)
    {
        var path = ReleasePath(@namespace, release);
        if (record is null)
        {
            File.Delete(path);
            return;
        }

        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(record, Indented), new UTF8Encoding(false));
    }

    private string ObjectPath(string @namespace, string kind, string name) =>
        Path.Combine(Directory, "cluster", @namespace.Length == 0 ? "_cluster" : @namespace, Kinds.Normalize(kind), Safe(name) + ".json");

    private string ReleasePath(string @namespace, string release) => Path.Combine(Directory, "releases", Safe(@namespace), Safe(release) + ".json");

    private static string Safe(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_') && name != "." && name != ".."
            ? name
            : throw new DoubleFailure($"invalid name \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
}

/// <summary>One Helm release as the double records it: its revisions, oldest first.</summary>
internal sealed class ReleaseRecord
{
    public List<RevisionRecord> Revisions { get; init; } = [];
}

/// <summary>One revision: what <c>helm history -o json</c> prints of it, and the objects it rendered.</summary>
internal sealed class RevisionRecord
{
    public int Revision { get; init; }

    public DateTimeOffset Updated { get; set; }

    public string Status { get; set; } = "pending-install";

    public string Chart { get; init; } = string.Empty;

    public string AppVersion { get; init; } = string.Empty;

    public string Description { get; set; } = string.Empty;

    public List<JsonObject> Objects { get; init; } = [];
}

/// <summary>kubectl's resource names: <c>deploy</c>, <c>deployments</c>, <c>Deployment</c> are one kind.</summary>
internal static class Kinds
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["deploy"] = "deployment",
        ["svc"] = "service",
        ["ns"] = "namespace",
        ["ing"] = "ingress",
        ["ingresses"] = "ingress",
        ["cm"] = "configmap",
        ["hpa"] = "horizontalpodautoscaler",
        ["pdb"] = "poddisruptionbudget",
    };

    /// <summary>How the API server names a kind in its messages: <c>configmaps</c>, <c>deployments.apps</c>, <c>leases.coordination.k8s.io</c>.</summary>
    public static string Resource(string kind) => Normalize(kind) switch
    {
        "deployment" => "deployments.apps",
        "lease" => "leases.coordination.k8s.io",
        "httproute" => "httproutes.gateway.networking.k8s.io",
        "ingress" => "ingresses.networking.k8s.io",
        var other => other + "s",
    };

    public static string Normalize(string kind)
    {
        var lower = kind.ToLowerInvariant();
        var dot = lower.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            lower = lower[..dot];
        }

        if (Aliases.TryGetValue(lower, out var alias))
        {
            return alias;
        }

        return lower.EndsWith('s') && lower != "ingress" ? lower[..^1] : lower;
    }
}
