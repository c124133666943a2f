using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.KubeDouble;

/// <summary>The kubectl commands of the double: rollout status, get, apply -f -, patch --type=json, delete.</summary>
internal sealed class KubectlDouble(DoubleIo io)
{
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
            "patch" => Patch(rest),
            "delete" => Delete(rest),
            "version" => Version(),
            null => throw new DoubleFailure("error: You must specify the type of resource to get (this is a TEST DOUBLE of kubectl: rollout status, get, apply -f -, patch, delete, version)"),
            var other => throw new DoubleFailure($"error: unknown command \"{other}\" for \"kubectl\" (the test double implements rollout status, get, apply, patch, delete, version)"),
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
        if (!state.Delete(ns, kind, name) && !line.Flag("ignore-not-found"))
        {
            throw new DoubleFailure($"Error from server (NotFound): {kind}s \"{name}\" not found");
        }

        io.Out.WriteLine($"{kind} \"{name}\" deleted");
        return 0;
    }

    private static JsonObject Without(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy.Remove("status");
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
