using System.Text;
using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.State;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery;

/// <summary>
/// Where the ledger and the lock live (<c>delivery.state</c>), and the Docker host store's commands: the lock is a
/// container created once and removed by the id that was read, its lease runs from the engine's last start of it, the
/// ledger is read without creating anything, a local ledger moves there once, and a dry run asks the host nothing.
/// </summary>
public sealed class EnvironmentStateStoreTests : IDisposable
{
    private const string Host = "ssh://deploy@staging.internal";
    private static readonly DateTimeOffset Acquired = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly System.Text.Json.JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };
    private readonly List<ScratchEnvironments> _scratches = [];

    public void Dispose()
    {
        foreach (var scratch in _scratches)
        {
            scratch.Dispose();
        }
    }

    [Theory]
    [InlineData("", "", false)]
    [InlineData("", "docker_host: " + Host, true)]
    [InlineData("", "docker_context: staging", true)]
    [InlineData("state: local", "docker_host: " + Host, false)]
    [InlineData("state: environment", "", true)]
    [InlineData("state: auto", "docker_host: " + Host, true)]
    public void The_ledger_and_lock_live_with_an_environment_that_has_its_own_docker_host(string state, string endpoint, bool withEnvironment)
    {
        var environment = Environment(state, endpoint, new ScriptedToolSession());
        Assert.Equal(withEnvironment, environment.KeepsStateWithEnvironment);
        Assert.Equal(withEnvironment, environment.LockStore() is not FileLockStore);
        Assert.Equal(withEnvironment, environment.LedgerStore() is not FileLedgerStore);
    }

    [Fact]
    public void The_lock_is_a_container_of_the_project_that_the_engine_creates_once()
    {
        var session = new ScriptedToolSession();
        var store = Environment("", "docker_host: " + Host, session).LockStore();
        var holder = Holder();
        Assert.True(store.TryCreate(holder));

        session.On("container create", 1, stderr: "Error response from daemon: Conflict. The container name \"/scratch-slipway-lock\" is already in use by container \"0123abc\".");
        Assert.False(store.TryCreate(holder));

        var create = session.Runs[0].ToDisplayString();
        Assert.StartsWith($"docker --host {Host} container create --name scratch-slipway-lock --network none --label ", create, StringComparison.Ordinal);
        Assert.Contains("io.slipway.lock.lease-seconds=120", create, StringComparison.Ordinal);
        Assert.Contains("--entrypoint true haproxy:2.6", create, StringComparison.Ordinal);
        Assert.Equal($"the container scratch-slipway-lock on {Host}", store.Location);
    }

    [Fact]
    public void A_lock_that_cannot_be_created_for_another_reason_is_an_error_naming_the_host()
    {
        var session = new ScriptedToolSession().On("container create", 1, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.");
        var store = Environment("", "docker_host: " + Host, session).LockStore();
        var error = Assert.Throws<IOException>(() => store.TryCreate(Holder()));
        Assert.Contains($"on {Host}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cannot connect to the Docker daemon", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lease_runs_from_the_engines_last_start_of_the_lock_else_from_its_creation()
    {
        var never = DockerHostLockStore.Parse(Inspect("abc", Holder(), "2026-12-01T10:00:01.5Z", "0001-01-01T00:00:00Z"));
        Assert.Equal("abc", never.Id);
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T10:02:01.5Z", System.Globalization.CultureInfo.InvariantCulture), never.Holder.LeaseExpires);
        Assert.True(Holder().IsSameRun(never.Holder));

        var renewed = DockerHostLockStore.Parse(Inspect("abc", Holder(), "2026-12-01T10:00:01Z", "2026-12-01T10:05:00Z"));
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T10:07:00Z", System.Globalization.CultureInfo.InvariantCulture), renewed.Holder.LeaseExpires);
    }

    [Fact]
    public void A_container_under_the_locks_name_without_a_holder_still_holds_the_environment()
    {
        var foreign = DockerHostLockStore.Parse("""[{"Id":"f00d0123456789","Created":"2026-12-01T10:00:00Z","State":{"FinishedAt":"0001-01-01T00:00:00Z"},"Config":{"Labels":{}}}]""");
        Assert.StartsWith("unknown (the container f00d01234567 has no Slipway holder label)", foreign.Holder.Holder, StringComparison.Ordinal);
        Assert.False(EnvironmentLock.IsStale(foreign.Holder, DateTimeOffset.MaxValue));
    }

    [Fact]
    public void A_stale_lock_is_removed_by_the_id_that_was_read_and_a_newer_one_is_left_alone()
    {
        var stale = Holder();
        var session = new ScriptedToolSession().On("container inspect", 0, Inspect("0123abc", stale, "2026-12-01T10:00:00Z", "0001-01-01T00:00:00Z"));
        var store = Environment("", "docker_host: " + Host, session).LockStore();
        Assert.True(store.RemoveStale(stale));
        Assert.Equal($"docker --host {Host} container rm --force 0123abc", Assert.Single(session.Runs).ToDisplayString());

        var newer = stale with { Pid = 77, Acquired = Acquired.AddMinutes(5) };
        Assert.False(store.RemoveStale(newer));
        Assert.False(store.Release(newer));
        Assert.False(store.Renew(newer, Acquired.AddHours(1)));
        Assert.Single(session.Runs);

        Assert.True(store.Renew(stale, Acquired.AddHours(1)));
        Assert.Equal($"docker --host {Host} container start 0123abc", session.Runs[^1].ToDisplayString());
    }

    [Fact]
    public void Reading_the_ledger_of_a_host_without_the_state_volume_creates_nothing()
    {
        var session = new ScriptedToolSession().On("volume inspect", 1, stderr: "Error: No such volume: scratch-slipway-state");
        var ledger = Environment("", "docker_host: " + Host, session).Ledger();
        Assert.Empty(ledger.ReadAll().Entries);
        Assert.Equal($"docker --host {Host} volume inspect --format '{{{{json .}}}}' scratch-slipway-state", Assert.Single(session.Invocations).ToDisplayString());
    }

    [Fact]
    public void The_ledger_is_read_from_and_appended_to_the_state_volume_with_the_proxy_image()
    {
        var line = Line("1.0.0", "Deployed");
        var session = new ScriptedToolSession().On("volume inspect", 0, "{}").On("--entrypoint cat", 0, line);
        var ledger = Environment("", "docker_host: " + Host, session).Ledger();
        Assert.Equal("1.0.0", Assert.Single(ledger.ReadAll().Entries).Version);
        Assert.Contains($"docker --host {Host} run --rm --network none --user 0:0 --volume scratch-slipway-state:/state:ro --entrypoint cat haproxy:2.6 /state/ledger.jsonl",
            session.Invocations.Select(i => i.ToDisplayString()));

        ledger.Append(Entry("1.1.0"));
        var append = session.Runs[^1];
        Assert.StartsWith($"docker --host {Host} run --rm --interactive --network none --user 0:0 --volume scratch-slipway-state:/state --entrypoint tee haproxy:2.6 -a /state/ledger.jsonl", append.ToDisplayString(), StringComparison.Ordinal);
        Assert.Contains("\"version\":\"1.1.0\"", append.StandardInput!.Reveal(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_ledger_moves_to_the_environment_once_and_is_kept_as_migrated()
    {
        var session = new ScriptedToolSession();
        var remote = new MemoryLedger(Line("0.9.0", "Deployed"));
        var directory = Directory.CreateTempSubdirectory("slipway-move-").FullName;
        var local = Path.Combine(directory, "ledger.jsonl");
        File.WriteAllText(local, Line("1.0.0", "Deployed") + Line("1.1.0", "Failed") + "not json\n");

        var ledger = ReleaseLedger.On(new MovingLocalLedger(remote, local, session));
        Assert.Equal(["0.9.0", "1.0.0", "1.1.0"], ledger.ReadAll().Entries.Select(e => e.Version));
        Assert.False(File.Exists(local));
        Assert.True(File.Exists(local + ".migrated"));
        Assert.Contains(session.Messages, m => m.StartsWith($"Moved the 2 entries of the local ledger {local} to memory", StringComparison.Ordinal));
        Assert.Contains(session.Messages, m => m.Contains("not a ledger entry", StringComparison.Ordinal));

        ledger.ReadAll();
        Assert.Equal(1, remote.Appends);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void A_local_ledger_that_cannot_be_moved_stays_where_it_was()
    {
        var remote = new MemoryLedger(string.Empty) { Broken = true };
        var directory = Directory.CreateTempSubdirectory("slipway-move-").FullName;
        var local = Path.Combine(directory, "ledger.jsonl");
        File.WriteAllText(local, Line("1.0.0", "Deployed"));

        Assert.Throws<IOException>(() => ReleaseLedger.On(new MovingLocalLedger(remote, local, new ScriptedToolSession())).ReadAll());
        Assert.True(File.Exists(local));
        Assert.False(File.Exists(local + ".migrated"));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void A_dry_run_reads_no_ledger_on_the_host_and_writes_none()
    {
        var session = new ScriptedToolSession { IsDryRun = true };
        var environment = Environment("", "docker_host: " + Host, session);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(environment.StateDirectory).FullName, "ledger.jsonl"), Line("1.0.0", "Deployed"));

        var ledger = environment.Ledger();
        Assert.Empty(ledger.ReadAll().Entries);
        Assert.Null(ledger.LastGood());
        Assert.Throws<InvalidOperationException>(() => ledger.Append(Entry("1.1.0")));
        Assert.Empty(session.Invocations);
        Assert.True(File.Exists(environment.LedgerPath), "a dry run moved the local ledger");
        Assert.EndsWith("(not read in a dry run)", ledger.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_session_the_hosts_state_cannot_be_reached_and_says_so()
    {
        var environment = Environment("", "docker_host: " + Host, session: null);
        var error = Assert.Throws<InvalidOperationException>(() => environment.Ledger());
        Assert.Contains("keeps its ledger and lock on its Docker host", error.Message, StringComparison.Ordinal);
    }

    private DeliveryEnvironment Environment(string state, string endpoint, IToolSession? session)
    {
        var yaml = ScratchEnvironments.MinimalBase
            .Replace("  driver: compose\n", $"  driver: compose\n  {state}\n", StringComparison.Ordinal)
            .Replace("    project: scratch\n", $"    project: scratch\n    {endpoint}\n", StringComparison.Ordinal);
        var scratch = new ScratchEnvironments(("dev", yaml));
        _scratches.Add(scratch);
        return new DeliveryEnvironment
        {
            Environment = scratch.LoadValid("dev"),
            Secrets = SecretResolver.Create(new Dictionary<string, string>(), scratch.Root),
            RootDirectory = scratch.Root,
            EnvironmentFile = "environments/dev.yml",
            StateSession = session,
        };
    }

    private static LockHolder Holder() => new("alice@box", 4242, "1.4.0", Acquired, "box") { LeaseExpires = Acquired.AddMinutes(2) };

    private static string Inspect(string id, LockHolder holder, string created, string finished)
    {
        var label = System.Text.Json.JsonSerializer.Serialize(holder with { LeaseExpires = null }, CamelCase);
        var labels = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["io.slipway.lock.holder"] = label, ["io.slipway.lock.lease-seconds"] = "120" });
        return $$"""[{"Id":"{{id}}","Created":"{{created}}","State":{"Status":"exited","FinishedAt":"{{finished}}"},"Config":{"Labels":""" + labels + "}}]";
    }

    private static LedgerEntry Entry(string version, LedgerAction action = LedgerAction.Deployed) =>
        new("dev", version, new string('c', 40), new Dictionary<string, string> { ["api"] = "127.0.0.1:5000/api@sha256:" + new string('a', 64) }, "tester", Acquired, action, "ok", TimeSpan.FromMinutes(1));

    private static string Line(string version, string action) =>
        $$"""{"environment":"dev","version":"{{version}}","commit":"{{new string('c', 40)}}","images":{"api":"127.0.0.1:5000/api@sha256:{{new string('a', 64)}}"},"who":"tester","when":"2026-12-01T10:00:00+00:00","action":"{{action}}","details":"ok","duration":"00:01:00"}""" + "\n";

    private sealed class MemoryLedger(string text) : ILedgerStore
    {
        private readonly StringBuilder _text = new(text);

        public bool Broken { get; init; }

        public int Appends { get; private set; }

        public string Location => "memory";

        public string? ReadText() => Broken ? throw new IOException("the host is gone") : _text.ToString();

        public void AppendLines(byte[] lines)
        {
            if (Broken)
            {
                throw new IOException("the host is gone");
            }

            Appends++;
            _text.Append(Encoding.UTF8.GetString(lines));
        }
    }
}
