using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.KubeDouble;

/// <summary>The kubectl commands of the double: rollout status, get, apply -f -, create -f -, replace -f -, patch --type=json, delete.</summary>
internal sealed class KubectlDouble(DoubleIo io)
{
    /// <summary>The API server's limit on a ConfigMap's data (<c>MaxSecretSize</c>, 1 MiB).</summary>
    private const int MaxConfigMapBytes = 1024 * 1024;

    private static readonly HashSet<string> Global = ["namespace", "context", "kubeconfig"];
    private static readonly Dictionary<string, string> Short = new(StringComparer.Ordinal) { ["n"] = "namespace", ["f"] = "filename", ["o"] = "output", ["l"] = "selector", ["p"] = "patch" };

    public int Run(string[] args)
    {
        var rest = args.Skip(1).ToList();
        return args.FirstOrDefault() switch
        {
            "rollout" when rest.FirstOrDefault() == "status" => RolloutStatus(rest.Skip(1)),
            "get" => Get(rest),
            "apply" => Apply(rest),
            "create" => Write(rest, create: true),
            "replace" => Write(rest, create: false),
            "patch" => Patch(rest),
            "delete" => Delete(rest),
            "version" => Version(),
            null => throw new DoubleFailure("error: You must specify the type of resource to get (this is a TEST DOUBLE of kubectl: rollout status, get, apply -f -, create -f -, replace -f -, patch, delete, version)"),
            var other => throw new DoubleFailure($"error: unknown command \"{other}\" for \"kubectl\" (the test double implements rollout status, get, apply, create, replace, patch, delete, version)"),
        };
    }

    private int Version()
    {
        io.Out.WriteLine("Client Version: v1.33.0-double (TEST DOUBLE of kubectl, reaches no cluster)");
        return 0;
    }

    private int RolloutStatus(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "timeout", "revision" }, new HashSet<string>(["watch", "w"]), shorthands: Short);
        var ns = Scope(line);
        var target = line.Positionals.Count == 1 ? line.Positionals[0] : throw new DoubleFailure("error: required resource not specified");
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || Kinds.Normalize(target[..slash]) != "deployment")
        {
            throw new DoubleFailure($"error: the double only watches deployments, not {target}");
        }

        var name = target[(slash + 1)..];
        using var state = ClusterState.Open(io.Environment);
        var deployment = state.Get(ns, "deployment", name) ?? throw new DoubleFailure($"Error from server (NotFound): deployments.apps \"{name}\" not found");
        var replicas = deployment["spec"]?["replicas"]?.GetValue<long>() ?? 1;
        if (!state.IsReady(deployment))
        {
            io.Out.WriteLine($"Waiting for deployment \"{name}\" rollout to finish: 0 of {replicas.ToString(CultureInfo.InvariantCulture)} updated replicas are available...");
            throw new DoubleFailure("error: timed out waiting for the condition");
        }

        io.Out.WriteLine($"deployment \"{name}\" successfully rolled out");
        return 0;
    }

    private int Get(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "output", "selector" }, new HashSet<string>(["ignore-not-found"]), shorthands: Short);
        var ns = Scope(line);
        if (line.Positionals.Count is < 1 or > 2)
        {
            throw new DoubleFailure("error: You must specify the type of resource to get");
        }

        var kind = Kinds.Normalize(line.Positionals[0]);
        using var state = ClusterState.Open(io.Environment);
        List<JsonObject> items;
        if (line.Positionals.Count == 2)
        {
            var item = state.Get(ns, kind, line.Positionals[1]);
            if (item is null)
            {
                if (line.Flag("ignore-not-found"))
                {
                    return 0;
                }

                throw new DoubleFailure($"Error from server (NotFound): {kind}s \"{line.Positionals[1]}\" not found");
            }

            items = [item];
        }
        else
        {
            items = [.. state.List(ns, kind).Where(o => Matches(o, line.Value("selector")))];
        }

        items = [.. items.Select(o => Observed(state, o))];
        switch (line.Value("output"))
        {
            case "json":
                io.Out.WriteLine((line.Positionals.Count == 2 ? items[0] : new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. items]) }).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                break;
            case "name":
                foreach (var item in items)
                {
                    io.Out.WriteLine($"{kind}/{item["metadata"]!["name"]}");
                }

                break;
            default:
                io.Out.WriteLine("NAME");
                foreach (var item in items)
                {
                    io.Out.WriteLine(item["metadata"]!["name"]!.GetValue<string>());
                }

                break;
        }

        return 0;
    }

    private int Apply(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "filename" }, new HashSet<string>(["server-side"]), shorthands: Short);
        var ns = Scope(line);
        if (line.Value("filename") != "-")
        {
            throw new DoubleFailure("error: the double applies manifests from standard input only (-f -)");
        }

        var text = io.In.ReadToEnd();
        var objects = text.TrimStart().StartsWith('{')
            ? [JsonNode.Parse(text)?.AsObject() ?? throw new DoubleFailure("error: no objects passed to apply")]
            : YamlJson.Documents(text);
        if (objects.Count == 0)
        {
            throw new DoubleFailure("error: no objects passed to apply");
        }

        using var state = ClusterState.Open(io.Environment);
        foreach (var item in objects.SelectMany(o => o["kind"]?.GetValue<string>() == "List" ? (o["items"] as JsonArray ?? []).OfType<JsonObject>() : [o]))
        {
            var kind = Kinds.Normalize(item["kind"]?.GetValue<string>() ?? string.Empty);
            var name = item["metadata"]?["name"]?.GetValue<string>() ?? throw new DoubleFailure("error: error validating \"STDIN\": error validating data: metadata.name not set");
            if (kind == "namespace")
            {
                var existed = state.NamespaceExists(name);
                state.CreateNamespace(name);
                io.Out.WriteLine($"namespace/{name} {(existed ? "unchanged" : "created")}");
                continue;
            }

            var target = item["metadata"]?["namespace"]?.GetValue<string>() ?? ns;
            if (!state.NamespaceExists(target))
            {
                throw new DoubleFailure($"Error from server (NotFound): error when creating \"STDIN\": namespaces \"{target}\" not found");
            }

            if (kind == "secret" && item["stringData"] is JsonObject stringData)
            {
                // The API server folds stringData into base64 data, as a real Secret stores it.
                var data = item["data"] as JsonObject ?? [];
                foreach (var (key, value) in stringData)
                {
                    data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? string.Empty));
                }

                item.Remove("stringData");
                item["data"] = data.DeepClone();
            }

            var before = state.Get(target, kind, name);
            state.Put(target, item);
            var verb = before is null ? "created" : JsonNode.DeepEquals(Without(before), Without(item)) ? "unchanged" : "configured";
            io.Out.WriteLine($"{kind}/{name} {verb}");
        }

        return 0;
    }

    /// <summary>
    /// <c>kubectl create -f -</c> and <c>kubectl replace -f -</c> of one object, as the API server answers them: a create of
    /// an existing name is AlreadyExists; a replace of a missing one NotFound; a replace carrying a
    /// <c>metadata.resourceVersion</c> other than the stored one is a Conflict (optimistic concurrency), without one it
    /// overwrites. A ConfigMap over 1 MiB is Invalid.
    /// </summary>
    private int Write(IEnumerable<string> rest, bool create)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "filename", "output" }, new HashSet<string>(), shorthands: Short);
        var ns = Scope(line);
        var verb = create ? "creating" : "replacing";
        if (line.Value("filename") != "-")
        {
            throw new DoubleFailure($"error: the double {(create ? "creates" : "replaces")} from standard input only (-f -)");
        }

        var text = io.In.ReadToEnd();
        var item = (text.TrimStart().StartsWith('{') ? JsonNode.Parse(text)?.AsObject() : YamlJson.Documents(text) is [var first, ..] ? first : null)
            ?? throw new DoubleFailure($"error: no objects passed to {(create ? "create" : "replace")}");
        var kind = Kinds.Normalize(item["kind"]?.GetValue<string>() ?? throw new DoubleFailure($"error: error validating \"STDIN\": error validating data: kind not set"));
        var name = item["metadata"]?["name"]?.GetValue<string>() ?? throw new DoubleFailure("error: error validating \"STDIN\": error validating data: metadata.name not set");
        var target = item["metadata"]?["namespace"]?.GetValue<string>() ?? ns;
        var resource = Kinds.Resource(kind);
        using var state = ClusterState.Open(io.Environment);
        if (!state.NamespaceExists(target))
        {
            throw new DoubleFailure($"Error from server (NotFound): error when {verb} \"STDIN\": namespaces \"{target}\" not found");
        }

        if (kind == "configmap" && ConfigMapBytes(item) > MaxConfigMapBytes)
        {
            throw new DoubleFailure($"Error from server (Invalid): error when {verb} \"STDIN\": ConfigMap \"{name}\" is invalid: []: Too long: must have at most {MaxConfigMapBytes} bytes");
        }

        var existing = state.Get(target, kind, name);
        if (create && existing is not null)
        {
            throw new DoubleFailure($"Error from server (AlreadyExists): error when creating \"STDIN\": {resource} \"{name}\" already exists");
        }

        if (!create)
        {
            if (existing is null)
            {
                throw new DoubleFailure($"Error from server (NotFound): error when replacing \"STDIN\": {resource} \"{name}\" not found");
            }

            var expected = item["metadata"]?["resourceVersion"]?.GetValue<string>();
            if (expected is not null && expected != existing["metadata"]?["resourceVersion"]?.GetValue<string>())
            {
                throw new DoubleFailure($"Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
            }
        }

        if (create)
        {
            // A create carrying a resourceVersion is refused by the API server: only the server sets it.
            if (item["metadata"]?["resourceVersion"] is not null)
            {
                throw new DoubleFailure($"Error from server (BadRequest): error when creating \"STDIN\": resourceVersion should not be set on objects to be created");
            }
        }

        state.Put(target, item);
        if (line.Value("output") == "json")
        {
            io.Out.WriteLine(item.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            io.Out.WriteLine($"{kind}/{name} {(create ? "created" : "replaced")}");
        }

        return 0;
    }

    private static long ConfigMapBytes(JsonObject item) =>
        (item["data"] as JsonObject ?? []).Sum(p => (long)p.Key.Length + Encoding.UTF8.GetByteCount(p.Value?.GetValue<string>() ?? string.Empty))
        + (item["binaryData"] as JsonObject ?? []).Sum(p => (long)p.Key.Length + (p.Value?.GetValue<string>()?.Length ?? 0) * 3 / 4);

    private int Patch(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "type", "patch" }, new HashSet<string>(), shorthands: Short);
        var ns = Scope(line);
        if (line.Positionals.Count != 2)
        {
            throw new DoubleFailure("error: resource(s) were provided, but no name was specified");
        }

        if (line.Value("type") != "json")
        {
            throw new DoubleFailure("error: the double applies JSON patches only (--type=json)");
        }

        var (kind, name) = (Kinds.Normalize(line.Positionals[0]), line.Positionals[1]);
        using var state = ClusterState.Open(io.Environment);
        var item = state.Get(ns, kind, name) ?? throw new DoubleFailure($"Error from server (NotFound): {kind}s \"{name}\" not found");
        var operations = JsonNode.Parse(line.Value("patch") ?? throw new DoubleFailure("error: must specify -p to patch")) as JsonArray
            ?? throw new DoubleFailure("error: unable to parse patch: a JSON patch is an array of operations");
        var patched = JsonPatch.Apply(item, operations);
        var changed = !JsonNode.DeepEquals(item, patched);
        state.Put(ns, patched);
        io.Out.WriteLine($"{kind}/{name} {(changed ? "patched" : "patched (no change)")}");
        return 0;
    }

    private int Delete(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global), new HashSet<string>(["ignore-not-found", "wait"]), shorthands: Short);
        var ns = Scope(line);
        if (line.Positionals.Count != 2)
        {
            throw new DoubleFailure("error: resource(s) were provided, but no name was specified");
        }

        var (kind, name) = (Kinds.Normalize(line.Positionals[0]), line.Positionals[1]);
        using var state = ClusterState.Open(io.Environment);
        if (!state.Delete(ns, kind, name))
        {
            // --ignore-not-found: kubectl prints nothing and exits 0.
            return line.Flag("ignore-not-found") ? 0 : throw new DoubleFailure($"Error from server (NotFound): {Kinds.Resource(kind)} \"{name}\" not found");
        }

        io.Out.WriteLine($"{kind} \"{name}\" deleted");
        return 0;
    }

    private static JsonObject Without(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy.Remove("status");
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
            metadata.Remove("uid");
            metadata.Remove("creationTimestamp");
        }

        return copy;
    }

    /// <summary>A Deployment as kubectl would show it: with the status the double's readiness rule gives it.</summary>
    private static JsonObject Observed(ClusterState state, JsonObject item)
    {
        if (Kinds.Normalize(item["kind"]?.GetValue<string>() ?? string.Empty) != "deployment")
        {
            return item;
        }

        var replicas = item["spec"]?["replicas"]?.GetValue<long>() ?? 1;
        var ready = state.IsReady(item) ? replicas : 0;
        item["status"] = new JsonObject { ["replicas"] = replicas, ["updatedReplicas"] = replicas, ["readyReplicas"] = ready, ["availableReplicas"] = ready };
        return item;
    }

    /// <summary>Equality selectors only (<c>a=b,c=d</c>), which is what Slipway uses.</summary>
    private static bool Matches(JsonObject item, string? selector) =>
        selector is null || selector.Split(',', StringSplitOptions.RemoveEmptyEntries).All(term =>
        {
            var parts = term.Split('=', 2);
            return parts.Length == 2 && item["metadata"]?["labels"]?[parts[0].Trim()]?.GetValue<string>() == parts[1].Trim();
        });

    private string Scope(DoubleCommandLine line)
    {
        KubeDoubleProgram.RefuseRealContext(line.Value("context"), "--context");
        return line.Value("namespace") ?? "default";
    }
}
