using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Slipway.Delivery;
using Slipway.Delivery.State;
using Slipway.Processes;
using Slipway.Tools.Kubectl;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The Helm environment's ledger (ConfigMaps) and lock (a Lease) against a small in-memory API server that answers kubectl
/// as the real one documents: create of a taken name is AlreadyExists, a replace at a stale resourceVersion is a Conflict.
/// Races are made deterministic by running another runner's write between a store's read and its write.
/// </summary>
public sealed class KubernetesStateStoreTests
{
    private static readonly DateTimeOffset Acquired = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeApiServer _api = new();

    private KubernetesState Cluster(ScriptedToolSession? session = null) =>
        new("shop", new KubeScope("shop-prod", "kube-double"), session ?? _api.Session());

    private static LockHolder Holder(string who, DateTimeOffset? acquired = null) =>
        new(who, 4242, "1.4.0", acquired ?? Acquired, who.Split('@')[^1]) { LeaseExpires = (acquired ?? Acquired).AddMinutes(2), RunUrl = "https://github.com/acme/shop/actions/runs/77" };

    [Fact]
    public void The_lock_is_a_Lease_with_the_holder_identity_lease_duration_and_times_of_leader_election_in_a_namespace_made_on_first_contact()
    {
        var store = new LeaseLockStore(Cluster());

        Assert.True(store.TryCreate(Holder("alice@box")));

        var lease = _api.Object("lease", "shop-slipway-lock")!;
        Assert.Equal("coordination.k8s.io/v1", (string?)lease["apiVersion"]);
        Assert.Equal("alice@box pid 4242 on box https://github.com/acme/shop/actions/runs/77", (string?)lease["spec"]!["holderIdentity"]);
        Assert.Equal(120, (int)lease["spec"]!["leaseDurationSeconds"]!);
        Assert.Equal("2026-12-01T10:00:00.000000Z", (string?)lease["spec"]!["acquireTime"]);
        Assert.Equal("2026-12-01T10:00:00.000000Z", (string?)lease["spec"]!["renewTime"]);
        Assert.Equal(Holder("alice@box"), store.Read());
        Assert.Equal("the Lease shop-slipway-lock in namespace shop-prod, context kube-double", store.Location);
        Assert.StartsWith("kubectl apply -n shop-prod --context kube-double -f -", Assert.Single(_api.NamespacesApplied), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_runner_is_refused_while_the_lease_is_held_and_takes_it_after_a_release_counting_the_transition()
    {
        var alice = new LeaseLockStore(Cluster());
        var bob = new LeaseLockStore(Cluster());

        Assert.True(alice.TryCreate(Holder("alice@box")));
        Assert.False(bob.TryCreate(Holder("bob@ci")));
        Assert.False(bob.Release(Holder("bob@ci")));
        Assert.True(alice.Release(Holder("alice@box")));
        Assert.Null(bob.Read());
        Assert.True(bob.TryCreate(Holder("bob@ci")));

        Assert.Equal("bob@ci", bob.Read()!.Holder);
        Assert.Equal(1, (int)_api.Object("lease", "shop-slipway-lock")!["spec"]!["leaseTransitions"]!);
    }

    [Fact]
    public void Renewal_moves_renewTime_so_the_lease_runs_from_the_last_renewal_and_stops_once_the_lock_is_someone_elses()
    {
        var store = new LeaseLockStore(Cluster());
        var alice = Holder("alice@box");
        Assert.True(store.TryCreate(alice));

        Assert.True(store.Renew(alice, Acquired.AddMinutes(5)));

        Assert.Equal("2026-12-01T10:03:00.000000Z", (string?)_api.Object("lease", "shop-slipway-lock")!["spec"]!["renewTime"]);
        Assert.Equal(Acquired.AddMinutes(5), store.Read()!.LeaseExpires);
        Assert.True(EnvironmentLock.IsStale(store.Read()!, Acquired.AddMinutes(6)));
        Assert.False(EnvironmentLock.IsStale(store.Read()!, Acquired.AddMinutes(4)));

        Assert.NotNull(store.Break());
        Assert.False(store.Renew(alice, Acquired.AddMinutes(7)));
        Assert.Null(store.Read());
    }

    [Fact]
    public void Of_two_runners_that_saw_the_lock_free_the_API_server_lets_one_win_and_the_other_fails_cleanly()
    {
        var alice = new LeaseLockStore(Cluster());
        var bob = new LeaseLockStore(Cluster());
        Assert.True(alice.TryCreate(Holder("alice@box")));
        Assert.True(alice.Release(Holder("alice@box")));

        // Bob reads the free Lease; before his write lands, carol takes it.
        var carol = new LeaseLockStore(Cluster());
        _api.BeforeNextReplace(() => Assert.True(carol.TryCreate(Holder("carol@laptop"))));
        Assert.False(bob.TryCreate(Holder("bob@ci")));

        Assert.Equal("carol@laptop", bob.Read()!.Holder);
        Assert.Contains(_api.Answers, a => a.Contains("(Conflict)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stale_lease_taken_over_by_a_faster_runner_in_between_is_left_to_that_runner()
    {
        var killed = Holder("alice@box");
        Assert.True(new LeaseLockStore(Cluster()).TryCreate(killed));

        // Bob and carol both find alice's lease expired; carol frees and takes it between bob's read and bob's write.
        var carol = new LeaseLockStore(Cluster());
        _api.BeforeNextReplace(() =>
        {
            Assert.True(carol.RemoveStale(killed));
            Assert.True(carol.TryCreate(Holder("carol@laptop", Acquired.AddMinutes(10))));
        });
        var bob = new LeaseLockStore(Cluster());
        Assert.False(bob.RemoveStale(killed));

        Assert.Equal("carol@laptop", bob.Read()!.Holder);
        Assert.False(bob.TryCreate(Holder("bob@ci")));
    }

    [Fact]
    public void A_Lease_under_the_name_without_a_Slipway_holder_is_named_by_its_identity_and_is_stale_only_after_its_lease()
    {
        _api.Put("lease", "shop-slipway-lock", JsonNode.Parse("""{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"shop-slipway-lock"},"spec":{"holderIdentity":"other-controller-7f9","leaseDurationSeconds":15,"renewTime":"2026-12-01T10:00:00.000000Z"}}""")!.AsObject());

        var holder = new LeaseLockStore(Cluster()).Read()!;

        Assert.Contains("other-controller-7f9", holder.Holder, StringComparison.Ordinal);
        Assert.Equal(Acquired.AddSeconds(15), holder.LeaseExpires);
    }

    [Fact]
    public void An_append_that_loses_the_race_reads_again_so_both_runners_lines_are_kept_in_order()
    {
        var store = new ConfigMapLedgerStore(Cluster());
        store.AppendLines(Encoding.UTF8.GetBytes("{\"a\":1}\n"));

        _api.BeforeNextReplace(() => new ConfigMapLedgerStore(Cluster()).AppendLines(Encoding.UTF8.GetBytes("{\"b\":2}\n")));
        store.AppendLines(Encoding.UTF8.GetBytes("{\"c\":3}\n"));

        Assert.Equal("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", store.ReadText());
        Assert.Equal("shop", (string?)_api.Object("configmap", "shop-slipway-ledger")!["metadata"]!["labels"]!["slipway.dev/ledger"]);
        Assert.Equal("the ConfigMap shop-slipway-ledger in namespace shop-prod, context kube-double", store.Location);
    }

    [Fact]
    public void A_ledger_part_nearing_the_1_MiB_limit_is_archived_unchanged_and_the_whole_ledger_still_reads_in_order()
    {
        var store = new ConfigMapLedgerStore(Cluster());
        Assert.Null(store.ReadText());
        var line = "{\"pad\":\"" + new string('x', 100 * 1024) + "\"}\n";
        var written = new StringBuilder();
        for (var i = 0; i < 17; i++)
        {
            var numbered = line.Replace("{\"pad", $"{{\"n\":{i.ToString(CultureInfo.InvariantCulture)},\"pad", StringComparison.Ordinal);
            store.AppendLines(Encoding.UTF8.GetBytes(numbered));
            written.Append(numbered);
        }

        Assert.Equal(written.ToString(), store.ReadText());
        var archives = _api.Objects("configmap").Where(o => o["metadata"]!["labels"]!["slipway.dev/ledger-part"] is not null).ToList();
        Assert.Equal(["shop-slipway-ledger-0001", "shop-slipway-ledger-0002"], archives.Select(a => (string)a["metadata"]!["name"]!));
        Assert.All(archives, a => Assert.True((bool)a["immutable"]!));
        Assert.All(_api.Objects("configmap"), o => Assert.True(Encoding.UTF8.GetByteCount((string)o["data"]!["ledger.jsonl"]!) <= ConfigMapLedgerStore.CompactAt));
    }

    /// <summary>An API server in memory behind kubectl's command lines: get, list by label, create, replace, delete, apply of a Namespace.</summary>
    private sealed class FakeApiServer
    {
        private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private long _version = 100;
        private Action? _beforeReplace;
        private bool _namespaceExists;

        public List<string> NamespacesApplied { get; } = [];

        public List<string> Answers { get; } = [];

        public ScriptedToolSession Session() => new ScriptedToolSession()
            .On(@"^kubectl get (\S+) (\S+) .*--ignore-not-found", (_, m) => Answer(0, Object(m.Groups[1].Value, m.Groups[2].Value)?.ToJsonString() ?? string.Empty))
            .On(@"^kubectl get configmaps .*-l (\S+)=(\S+)", (_, m) => Answer(0, new JsonObject { ["items"] = new JsonArray([.. Objects("configmap").Where(o => (string?)o["metadata"]!["labels"]![m.Groups[1].Value] == m.Groups[2].Value).Select(o => o.DeepClone())]) }.ToJsonString()))
            .On("^kubectl create ", (i, _) => Create(Body(i)))
            .On("^kubectl replace ", (i, _) => Replace(Body(i)))
            .On(@"^kubectl delete (\S+) (\S+) ", (_, m) => Delete(m.Groups[1].Value, m.Groups[2].Value))
            .On("^kubectl apply ", (i, _) => ApplyNamespace(i));

        public void BeforeNextReplace(Action action) => _beforeReplace = action;

        public JsonObject? Object(string kind, string name)
        {
            lock (_gate)
            {
                return _objects.TryGetValue(Key(kind, name), out var o) ? o.DeepClone().AsObject() : null;
            }
        }

        public IReadOnlyList<JsonObject> Objects(string kind)
        {
            lock (_gate)
            {
                return [.. _objects.Where(p => p.Key.StartsWith(kind + "/", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.DeepClone().AsObject())];
            }
        }

        public void Put(string kind, string name, JsonObject item)
        {
            lock (_gate)
            {
                item["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
                _objects[Key(kind, name)] = item;
            }
        }

        private static string Key(string kind, string name) => $"{kind.TrimEnd('s').ToLowerInvariant()}/{name}";

        private static JsonObject Body(ToolInvocation invocation) => JsonNode.Parse(invocation.StandardInput!.Reveal())!.AsObject();

        private static (string Kind, string Name) Id(JsonObject item) => ((string)item["kind"]!, (string)item["metadata"]!["name"]!);

        private ToolResult ApplyNamespace(ToolInvocation invocation)
        {
            lock (_gate)
            {
                NamespacesApplied.Add(invocation.ToDisplayString(includeEnvironment: false));
                Assert.Equal("Namespace", (string?)Body(invocation)["kind"]);
                _namespaceExists = true;
                return Answer(0, "namespace/shop-prod created");
            }
        }

        private ToolResult Create(JsonObject item)
        {
            var (kind, name) = Id(item);
            lock (_gate)
            {
                if (!_namespaceExists)
                {
                    return Answer(1, stderr: "Error from server (NotFound): error when creating \"STDIN\": namespaces \"shop-prod\" not found");
                }

                if (_objects.ContainsKey(Key(kind, name)))
                {
                    return Answer(1, stderr: $"Error from server (AlreadyExists): error when creating \"STDIN\": {kind.ToLowerInvariant()}s \"{name}\" already exists");
                }

                Put(kind, name, item);
                return Answer(0, item.ToJsonString());
            }
        }

        private ToolResult Replace(JsonObject item)
        {
            var before = Interlocked.Exchange(ref _beforeReplace, null);
            before?.Invoke();
            var (kind, name) = Id(item);
            lock (_gate)
            {
                if (!_objects.TryGetValue(Key(kind, name), out var stored))
                {
                    return Answer(1, stderr: $"Error from server (NotFound): error when replacing \"STDIN\": {kind.ToLowerInvariant()}s \"{name}\" not found");
                }

                if ((string?)item["metadata"]!["resourceVersion"] is { } expected && expected != (string?)stored["metadata"]!["resourceVersion"])
                {
                    return Answer(1, stderr: $"Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on {kind.ToLowerInvariant()}s \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
                }

                Put(kind, name, item);
                return Answer(0, item.ToJsonString());
            }
        }

        private ToolResult Delete(string kind, string name)
        {
            lock (_gate)
            {
                _objects.Remove(Key(kind, name));
                return Answer(0);
            }
        }

        private ToolResult Answer(int exitCode, string stdout = "", string stderr = "")
        {
            lock (_gate)
            {
                Answers.Add(stderr);
            }

            return ScriptedToolSession.Result(exitCode, stdout, stderr);
        }
    }
}
