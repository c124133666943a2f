using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Processes;
using Slipway.Tools.Kubectl;

namespace Slipway.Delivery.State;

/// <summary>
/// Where a Helm environment keeps its ledger and lock: in its cluster, beside the release, reached with kubectl through
/// the same context and namespace as the deploy. The ConfigMap <c>&lt;release&gt;-slipway-ledger</c> holds the ledger (older
/// parts in <c>&lt;release&gt;-slipway-ledger-NNNN</c>), the <c>coordination.k8s.io/v1</c> Lease <c>&lt;release&gt;-slipway-lock</c>
/// is the lock. Every write names the <c>resourceVersion</c> it read, so of two runners that read the same object only
/// the first write lands; the other gets the API server's Conflict and reads again.
/// </summary>
internal sealed record KubernetesState(string Release, KubeScope Scope, IToolSession Session)
{
    /// <summary>The label every ConfigMap of the ledger carries, with the release as its value.</summary>
    public const string LedgerLabel = "slipway.dev/ledger";

    /// <summary>The ConfigMap that holds the ledger's newest entries.</summary>
    public string LedgerConfigMap => $"{Release}-slipway-ledger";

    /// <summary>The Lease that is the lock.</summary>
    public string LockLease => $"{Release}-slipway-lock";

    /// <summary>The cluster, for messages.</summary>
    public string Where => $"namespace {Scope.Namespace}{(Scope.Context is { } context ? $", context {context}" : string.Empty)}";

    /// <summary>Runs a query and waits for it; the stores are synchronous, like the file stores they stand beside.</summary>
    public ToolResult Query(ToolInvocation invocation) => Session.QueryAsync(invocation.AcceptingAnyExitCode()).GetAwaiter().GetResult();

    /// <summary>Runs a command that changes the cluster (printed in the log), and waits for it.</summary>
    public ToolResult Change(ToolInvocation invocation) => Session.RunAsync(invocation.AcceptingAnyExitCode(), echoOutput: false).GetAwaiter().GetResult();

    /// <summary>The object <paramref name="kind"/>/<paramref name="name"/>, or null when the cluster has none.</summary>
    public JsonObject? Get(string kind, string name)
    {
        var got = Query(KubectlCli.Get(Scope, kind, name).WithArguments("--ignore-not-found"));
        if (got.ExitCode != 0)
        {
            throw Failure($"read the {kind} {name}", got);
        }

        return string.IsNullOrWhiteSpace(got.StandardOutput) ? null : Parse(got.StandardOutput, $"the {kind} {name}");
    }

    /// <summary>The objects of <paramref name="kind"/> with the label <paramref name="selector"/>.</summary>
    public IReadOnlyList<JsonObject> List(string kind, string selector)
    {
        var got = Query(KubectlCli.Get(Scope, kind, selector: selector));
        if (got.ExitCode != 0)
        {
            throw Failure($"list the {kind} with {selector}", got);
        }

        return [.. (Parse(got.StandardOutput, $"the {kind} with {selector}")["items"] as JsonArray ?? []).OfType<JsonObject>()];
    }

    /// <summary>Creates <paramref name="item"/> (and its namespace on first contact); false when its name is taken (AlreadyExists).</summary>
    public bool Create(JsonObject item)
    {
        for (var attempt = 1; ; attempt++)
        {
            var created = Change(KubectlCli.CreateFromStandardInput(Scope, InvocationValue.FromString(item.ToJsonString())));
            if (created.ExitCode == 0)
            {
                return true;
            }

            if (Says(created, "(AlreadyExists)"))
            {
                return false;
            }

            if (attempt == 1 && Says(created, "(NotFound)") && Says(created, $"namespaces \"{Scope.Namespace}\" not found"))
            {
                // The first deploy of a release makes its namespace (Helm's --create-namespace); the lock comes before it.
                var made = Change(KubectlCli.ApplyFromStandardInput(Scope, InvocationValue.FromString(
                    new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = Scope.Namespace } }.ToJsonString())));
                if (made.ExitCode == 0)
                {
                    continue;
                }
            }

            throw Failure($"create the {item["kind"]} {item["metadata"]?["name"]}", created);
        }
    }

    /// <summary>Replaces <paramref name="item"/>, which carries the <c>resourceVersion</c> it was read at; false on a Conflict (written since) or when it is gone.</summary>
    public bool Replace(JsonObject item)
    {
        var replaced = Change(KubectlCli.ReplaceFromStandardInput(Scope, InvocationValue.FromString(item.ToJsonString())));
        return replaced.ExitCode == 0
            || (Says(replaced, "(Conflict)") || Says(replaced, "(NotFound)") ? false : throw Failure($"replace the {item["kind"]} {item["metadata"]?["name"]}", replaced));
    }

    /// <summary>Deletes <paramref name="kind"/>/<paramref name="name"/> if it exists.</summary>
    public void Delete(string kind, string name)
    {
        var deleted = Change(KubectlCli.Delete(Scope, kind, name));
        if (deleted.ExitCode != 0)
        {
            throw Failure($"delete the {kind} {name}", deleted);
        }
    }

    /// <summary>The metadata every object of the state carries: its name, and labels saying who manages it.</summary>
    public JsonObject Metadata(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var all = new JsonObject { ["app.kubernetes.io/managed-by"] = "slipway", ["app.kubernetes.io/instance"] = Release };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        return new JsonObject { ["name"] = name, ["namespace"] = Scope.Namespace, ["labels"] = all };
    }

    /// <summary>The failure of <paramref name="what"/> as an <see cref="IOException"/>: the lock's renewal and the ledger's callers treat it as one.</summary>
    public IOException Failure(string what, ToolResult result) =>
        new($"Could not {what} in {Where}: kubectl exited with {result.ExitCode}: {string.Join(" ", ToolFailedException.Tail(result.StandardError, 3)).Trim()}");

    private static bool Says(ToolResult result, string text) => result.StandardError.Contains(text, StringComparison.Ordinal);

    private JsonObject Parse(string json, string what)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new IOException($"kubectl printed no object for {what} in {Where}.");
        }
        catch (JsonException e)
        {
            throw new IOException($"kubectl printed {what} in {Where} as something other than JSON: {e.Message}", e);
        }
    }
}
