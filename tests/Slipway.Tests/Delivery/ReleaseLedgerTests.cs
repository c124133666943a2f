using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>The per-environment ledger: round trip, concurrent appends, torn lines, LastGood and the History table.</summary>
public sealed class ReleaseLedgerTests
{
    private const string ApiDigest = "sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static ReleaseLedger NewLedger() => ReleaseLedger.Open(Path.Combine(TestPaths.NewTempDirectory(), "ledger", "staging.jsonl"));

    private static LedgerEntry Entry(string version, LedgerAction action, int minute = 0, string details = "ok", string? rolledBackTo = null) => new(
        "staging",
        version,
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        new Dictionary<string, string> { ["worker"] = ApiDigest, ["api"] = ApiDigest },
        "ci@build-01",
        Start.AddMinutes(minute),
        action,
        details,
        TimeSpan.FromSeconds(75),
        rolledBackTo);

    [Fact]
    public void Appended_entries_read_back_in_order_one_line_each()
    {
        var ledger = NewLedger();
        var first = Entry("1.0.0", LedgerAction.Deployed);
        var second = Entry("1.1.0", LedgerAction.RolledBack, 5, "api unhealthy", "1.0.0");

        ledger.Append(first);
        ledger.Append(second);
        var read = ledger.ReadAll();

        Assert.Empty(read.Warnings);
        Assert.Equal(2, read.Entries.Count);
        Assert.Equal(first with { Images = read.Entries[0].Images }, read.Entries[0]);
        Assert.Equal(second with { Images = read.Entries[1].Images }, read.Entries[1]);
        Assert.Equal(first.Images.OrderBy(p => p.Key), read.Entries[0].Images.OrderBy(p => p.Key));
        var lines = File.ReadAllLines(ledger.Path);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("{\"environment\":\"staging\",\"version\":\"1.0.0\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"action\":\"RolledBack\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"rolledBackTo\":\"1.0.0\"", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("rolledBackTo", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_empty_history()
    {
        var ledger = NewLedger();

        Assert.Equal(new LedgerReadResult([], []).Entries, ledger.ReadAll().Entries);
        Assert.Null(ledger.LastGood());
        Assert.Empty(ledger.Find("1.0.0"));
    }

    [Fact]
    public async Task Concurrent_appenders_write_only_whole_lines()
    {
        var ledger = NewLedger();
        // Long details make each line several KB, so interleaved or overwritten writes would show.
        var padding = new string('x', 4000);

        // Dedicated threads, not the pool: sixteen writers blocked in fsync would starve other tests' timers on 2 cores.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(writer => Task.Factory.StartNew(
            () =>
        {
            // Each writer opens its own ledger, as separate runs would.
            var own = ReleaseLedger.Open(ledger.Path);
            for (var i = 0; i < 25; i++)
            {
                own.Append(Entry($"{writer}.{i}.0", LedgerAction.Deployed, details: padding));
            }
        },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        var read = ledger.ReadAll();
        Assert.Empty(read.Warnings);
        Assert.Equal(400, read.Entries.Count);
        Assert.Equal(400, read.Entries.Select(e => e.Version).Distinct().Count());
        Assert.Equal(400, File.ReadAllLines(ledger.Path).Length);
    }

    [Fact]
    public void A_torn_last_line_is_reported_not_thrown_and_the_next_append_starts_a_new_line()
    {
        var ledger = NewLedger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed));
        File.AppendAllText(ledger.Path, "{\"environment\":\"staging\",\"vers");

        var torn = ledger.ReadAll();

        Assert.Equal(["1.0.0"], torn.Entries.Select(e => e.Version));
        var warning = Assert.Single(torn.Warnings);
        Assert.Contains($"{ledger.Path}:2: the last line is incomplete", warning, StringComparison.Ordinal);

        ledger.Append(Entry("1.1.0", LedgerAction.Deployed, 1));
        var after = ledger.ReadAll();

        Assert.Equal(["1.0.0", "1.1.0"], after.Entries.Select(e => e.Version));
        Assert.Contains($"{ledger.Path}:2: not a ledger entry", Assert.Single(after.Warnings), StringComparison.Ordinal);
        Assert.Equal("1.1.0", ledger.LastGood()?.Version);
    }

    [Fact]
    public void LastGood_is_the_latest_deploy_not_later_failed_or_rolled_back()
    {
        var ledger = NewLedger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed, 0));
        Assert.Equal("1.0.0", ledger.LastGood()?.Version);

        // 1.1.0 came up, then failed its post-deploy check and was rolled back to 1.0.0.
        ledger.Append(Entry("1.1.0", LedgerAction.Deployed, 10));
        Assert.Equal("1.1.0", ledger.LastGood()?.Version);
        ledger.Append(Entry("1.1.0", LedgerAction.Failed, 12, "api unhealthy"));
        Assert.Equal("1.0.0", ledger.LastGood()?.Version);
        ledger.Append(Entry("1.1.0", LedgerAction.RolledBack, 13, "api unhealthy", "1.0.0"));
        Assert.Equal("1.0.0", ledger.LastGood()?.Version);

        // An aborted run changes nothing; a successful redeploy of 1.1.0 makes it good again.
        ledger.Append(Entry("1.2.0", LedgerAction.Aborted, 20, "cancelled"));
        Assert.Equal("1.0.0", ledger.LastGood()?.Version);
        ledger.Append(Entry("1.1.0", LedgerAction.Promoted, 30));
        Assert.Equal(30, ledger.LastGood()!.When.Minute);
    }

    [Fact]
    public void A_rollback_vouches_for_its_target_so_rolling_back_and_forth_keeps_a_good_release()
    {
        var ledger = NewLedger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed, 0));
        ledger.Append(Entry("1.1.0", LedgerAction.Deployed, 10));

        // Rollback from 1.1.0 to 1.0.0, then --to 1.1.0 again: 1.1.0 runs and passed its probes.
        ledger.Append(Entry("1.1.0", LedgerAction.RolledBack, 11, "manual", "1.0.0"));
        Assert.Equal("1.0.0", ledger.LastGood()?.Version);
        Assert.Null(ledger.LastGoodExcept("1.0.0"));
        ledger.Append(Entry("1.0.0", LedgerAction.RolledBack, 12, "manual", "1.1.0"));
        Assert.Equal(10, ledger.LastGood()!.When.Minute);

        // A failed deploy after that goes back to 1.1.0, the release that runs.
        ledger.Append(Entry("1.2.0", LedgerAction.Failed, 20, "probes"));
        Assert.Equal("1.1.0", ledger.LastGoodExcept("1.2.0")?.Version);

        // A target condemned later is not vouched for.
        ledger.Append(Entry("1.1.0", LedgerAction.Failed, 30, "redeploy failed"));
        Assert.Null(ledger.LastGood());
    }

    [Fact]
    public void LastGood_is_null_when_every_deploy_was_later_failed()
    {
        var ledger = NewLedger();
        ledger.Append(Entry("1.0.0", LedgerAction.Failed, 0, "never came up"));
        ledger.Append(Entry("1.1.0", LedgerAction.Deployed, 1));
        ledger.Append(Entry("1.1.0", LedgerAction.RolledBack, 2, "bad migration", "1.0.0"));

        Assert.Null(ledger.LastGood());
    }

    [Fact]
    public void Find_returns_every_entry_for_a_version_oldest_first()
    {
        var ledger = NewLedger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed, 0));
        ledger.Append(Entry("1.1.0", LedgerAction.Deployed, 1));
        ledger.Append(Entry("1.1.0", LedgerAction.Failed, 2));

        Assert.Equal([LedgerAction.Deployed, LedgerAction.Failed], ledger.Find("1.1.0").Select(e => e.Action));
        Assert.Empty(ledger.Find("1.1"));
    }

    [Fact]
    public void An_invalid_entry_is_refused_with_every_problem()
    {
        var ledger = NewLedger();

        var error = Assert.Throws<ArgumentException>(() => ledger.Append(Entry("", LedgerAction.RolledBack) with { Who = " " }));

        Assert.Contains("version is missing; who is missing; a RolledBack entry needs rolledBackTo", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ledger.Path));
    }

    [Fact]
    public void The_history_table_lists_newest_first()
    {
        var entries = new[]
        {
            Entry("1.0.0", LedgerAction.Deployed, 0) with { Duration = TimeSpan.FromSeconds(42) },
            Entry("1.1.0", LedgerAction.Failed, 10, "api unhealthy\nafter 60s") with { Duration = TimeSpan.FromSeconds(125), RevisionId = "bbbbbbbbbbbb" },
            Entry("1.1.0", LedgerAction.RolledBack, 12, "api unhealthy", "1.0.0") with { Duration = TimeSpan.FromMinutes(63), RevisionId = "bbbbbbbbbbbb" },
        };

        var table = LedgerTable.Render(entries);

        Assert.Equal(
            """
            WHEN (UTC)           ACTION      VERSION         REVISION           COMMIT   WHO          DURATION  DETAILS
            -------------------  ----------  --------------  -----------------  -------  -----------  --------  -----------------------
            2026-03-01 09:12:00  RolledBack  1.1.0 -> 1.0.0  bbbbbbbbbbbb -> -  9f86d08  ci@build-01  1h 03m    api unhealthy
            2026-03-01 09:10:00  Failed      1.1.0           bbbbbbbbbbbb       9f86d08  ci@build-01  2m 05s    api unhealthy after 60s
            2026-03-01 09:00:00  Deployed    1.0.0           -                  9f86d08  ci@build-01  42s       ok

            """.ReplaceLineEndings("\n"),
            table);
        Assert.Equal("No releases recorded for this environment yet.\n", LedgerTable.Render([]));
    }

    private static LedgerEntry Revision(string version, string revision, LedgerAction action, int minute, string? rolledBackTo = null, string? rolledBackToRevision = null) =>
        Entry(version, action, minute, rolledBackTo: rolledBackTo) with { RevisionId = revision, ConfigurationHash = "c" + revision, RolledBackToRevision = rolledBackToRevision };

    [Fact]
    public void A_failed_revision_leaves_the_previous_revision_of_the_same_version_good()
    {
        var ledger = NewLedger();
        ledger.Append(Revision("1.2.0", "aaaaaaaaaaaa", LedgerAction.Deployed, 0));
        ledger.Append(Revision("1.2.0", "aaaaaaaaaaaa", LedgerAction.Deployed, 5));
        ledger.Append(Revision("1.2.0", "bbbbbbbbbbbb", LedgerAction.Deployed, 10));
        Assert.Equal("bbbbbbbbbbbb", ledger.LastGood()?.RevisionId);
        Assert.Equal("aaaaaaaaaaaa", ledger.LastGoodOtherThan(ledger.LastGood())?.RevisionId);
        Assert.Null(ledger.LastGoodExcept("1.2.0"));

        ledger.Append(Revision("1.2.0", "bbbbbbbbbbbb", LedgerAction.Failed, 11));

        Assert.Equal(("1.2.0", "aaaaaaaaaaaa", 5), (ledger.LastGood()!.Version, ledger.LastGood()!.RevisionId, ledger.LastGood()!.When.Minute));
        Assert.Equal("aaaaaaaaaaaa", ledger.LastGoodOtherThan("1.2.0", "bbbbbbbbbbbb")?.RevisionId);
        Assert.Null(ledger.LastGoodOtherThan("1.2.0", "aaaaaaaaaaaa"));
        Assert.Equal(5, ledger.FindRevision("aaaaaaaaaaaa")!.When.Minute);

        // Named explicitly (Rollback --to), a revision that once ran well is found, as a version is.
        Assert.Equal(10, ledger.FindRevision("bbbbbbbbbbbb")!.When.Minute);
    }

    [Fact]
    public void A_ledger_from_before_revisions_still_reads_and_its_entries_are_told_apart_by_version()
    {
        var ledger = NewLedger();

        // Two good deploys of 1.2.0 written by an older Slipway, then a configuration-only change of 1.2.0 that failed.
        ledger.Append(Entry("1.2.0", LedgerAction.Deployed, 0));
        ledger.Append(Entry("1.2.0", LedgerAction.Deployed, 5));
        ledger.Append(Revision("1.2.0", "cccccccccccc", LedgerAction.Failed, 10));

        var good = ledger.LastGoodOtherThan("1.2.0", "cccccccccccc");
        Assert.Equal((5, (string?)null), (good!.When.Minute, good.RevisionId));
        Assert.Equal("1.2.0", good.Describe());

        // A legacy failure still condemns the version as those entries recorded it.
        ledger.Append(Entry("1.2.0", LedgerAction.Failed, 12));
        Assert.Null(ledger.LastGood());
    }

    [Fact]
    public void A_rollback_vouches_for_the_revision_it_returned_to_not_for_the_version()
    {
        var ledger = NewLedger();
        ledger.Append(Revision("1.2.0", "aaaaaaaaaaaa", LedgerAction.Deployed, 0));
        ledger.Append(Revision("1.2.0", "bbbbbbbbbbbb", LedgerAction.Deployed, 5));
        ledger.Append(Revision("1.3.0", "dddddddddddd", LedgerAction.Deployed, 10));
        ledger.Append(Revision("1.3.0", "dddddddddddd", LedgerAction.RolledBack, 12, "1.2.0", "aaaaaaaaaaaa"));

        Assert.Equal("aaaaaaaaaaaa", ledger.LastGood()?.RevisionId);
        var read = ledger.ReadAll().Entries[^1];
        Assert.Equal(("1.2.0", "aaaaaaaaaaaa"), (read.RolledBackTo, read.RolledBackToRevision));
    }

    [Fact]
    public void A_revision_that_is_not_twelve_hex_digits_is_refused_on_append_and_skipped_on_read()
    {
        var ledger = NewLedger();

        var error = Assert.Throws<ArgumentException>(() => ledger.Append(Entry("1.0.0", LedgerAction.Deployed) with { RevisionId = "../../x" }));
        Assert.Contains("revisionId is not 12 lowercase hexadecimal digits", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ledger.Append(Entry("1.0.0", LedgerAction.Deployed) with { RolledBackToRevision = "aaaaaaaaaaaa" }));

        ledger.Append(Revision("1.0.0", "aaaaaaaaaaaa", LedgerAction.Deployed, 0));
        File.AppendAllText(ledger.Path, File.ReadAllText(ledger.Path).Replace("aaaaaaaaaaaa", "../../etc/pw", StringComparison.Ordinal));
        var read = ledger.ReadAll();

        Assert.Single(read.Entries);
        Assert.Contains("its revision is not 12 lowercase hexadecimal digits", Assert.Single(read.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Rollback_to_takes_a_revision_or_a_version_and_without_it_returns_to_the_previous_revision()
    {
        var ledger = NewLedger();
        ledger.Append(Revision("1.1.0", "111111111111", LedgerAction.Deployed, 0));
        ledger.Append(Revision("1.2.0", "aaaaaaaaaaaa", LedgerAction.Deployed, 5));
        ledger.Append(Revision("1.2.0", "bbbbbbbbbbbb", LedgerAction.Deployed, 10));

        Assert.Equal(("aaaaaaaaaaaa", "bbbbbbbbbbbb"), (DeliveryRun.RollbackChoice(ledger, null)!.Value.Target.RevisionId, DeliveryRun.RollbackChoice(ledger, null)!.Value.Current!.RevisionId));
        Assert.Equal("111111111111", DeliveryRun.RollbackChoice(ledger, "111111111111")!.Value.Target.RevisionId);
        Assert.Equal("bbbbbbbbbbbb", DeliveryRun.RollbackChoice(ledger, "1.2.0")!.Value.Target.RevisionId);
        Assert.Null(DeliveryRun.RollbackChoice(ledger, "cccccccccccc"));
    }
}
