using System.Text;
using Slipway.Processes;

namespace Slipway.Tests.HostileInput;

/// <summary>What earlier runs left: release.json, the ledger, the lock, the canary state and saved infra plans.</summary>
public static partial class HostileCorpus
{
    private const string Release = "artifacts/release.json";
    private const string Ledger = ".slipway/state/staging/ledger.jsonl";
    private const string Lock = ".slipway/state/staging/deploy.lock";
    private const string CanaryStateFile = ".slipway/state/prod/canary.json";
    private const string PlanRecord = "artifacts/infra/prod/plan.json";
    private const string Head = "0123456789abcdef0123456789abcdef01234567";

    private static readonly string Digest = "sha256:" + new string('a', 64);
    private static readonly string[] DryRunStaging = ["--target", "DeployStaging", "--dry-run"];
    private static readonly string[] HistoryOfStaging = ["--target", "History", "--env", "staging"];
    private static readonly string[] RollbackStaging = ["--target", "Rollback", "--env", "staging"];
    private static readonly string[] AbortProd = ["--target", "Abort", "--env", "prod"];
    private static readonly string[] ApplyProd = ["--target", "InfraApply", "--env", "prod"];

    private static string ReleaseJson(string version = "1.4.0", string service = "api", string repository = "127.0.0.1:5000/slipway/api", string sbom = "null") => $$"""
        {
          "version": "{{version}}",
          "commit": "{{Head}}",
          "created": "2026-11-22T10:00:00+00:00",
          "registry": "127.0.0.1:5000",
          "images": [
            { "service": "{{service}}", "repository": "{{repository}}", "tag": "1.4.0", "digest": "{{Digest}}", "sbom": {{sbom}} },
            { "service": "worker", "repository": "127.0.0.1:5000/slipway/worker", "tag": "1.4.0", "digest": "{{Digest}}", "sbom": null }
          ]
        }
        """;

    private static string LedgerLine(string version, int day = 1, string image = "", string details = "ok") =>
        $$"""{"environment":"staging","version":"{{version}}","commit":"{{Head}}","images":{"api":"{{(image.Length > 0 ? image : "127.0.0.1:5000/slipway/api@" + Digest)}}"},"who":"ci@runner","when":"2026-01-0{{day}}T00:00:00+00:00","action":"Deployed","details":"{{details}}","duration":"00:01:00"}""" + "\n";

    /// <summary>A ledger in which Rollback finds where to go (1.0.0, before 1.1.0), so it reaches the lock.</summary>
    private static HostileWorkspace GoodLedger(HostileWorkspace w) => LocalState(w).Write(Ledger, LedgerLine("1.0.0", 1) + LedgerLine("1.1.0", 2));

    /// <summary>
    /// Staging keeps its ledger and lock in state_directory, where these inputs are planted: its docker_host would keep
    /// them on that host (delivery.state: auto), read through docker, which the recording runner answers with nothing.
    /// </summary>
    private static HostileWorkspace LocalState(HostileWorkspace w) =>
        w.Edit("environments/staging.yml", "delivery:\n  driver: compose\n", "delivery:\n  driver: compose\n  state: local\n");

    private static string CanaryState(string version = "2.0.0", int weight = 10) => $$"""
        {
          "release": { "version": "{{version}}", "commit": "{{Head}}", "images": { "api": "127.0.0.1:5000/slipway/api@{{Digest}}" } },
          "stable": "1.0.0",
          "phase": "Analysing",
          "step": 0,
          "stepElapsed": "00:01:00",
          "analyses": 1,
          "failures": 0,
          "weight": {{weight}},
          "owner": "ci@runner pid 1",
          "updated": "2026-11-22T10:00:00+00:00"
        }
        """;

    private static string PlanJson(string stack = "infra/production") =>
        $$"""{"environment":"prod","stack":"{{stack}}","commit":"{{Head}}","planSha256":"sha256:{{new string('b', 64)}}","created":"2026-11-22T10:00:00+00:00","refusedDestroying":[]}""";

    /// <summary>git answers as in a clone on main at <see cref="Head"/>, without a tag.</summary>
    internal static void GitAtHead(RecordingToolRunner runner) =>
        runner.Script("git", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            "rev-parse HEAD" => Answer(Head),
            "rev-parse --abbrev-ref HEAD" => Answer("main"),
            "rev-list --count HEAD" => Answer("42"),
            "log -1 --format=%cI" => Answer("2026-11-22T10:00:00+00:00"),
            "remote get-url origin" => Answer("https://example.invalid/slipway.git"),
            "status --porcelain" or "status --porcelain -z --untracked-files=all" => new ToolResult(0, string.Empty, string.Empty, TimeSpan.Zero),
            _ => new ToolResult(128, string.Empty, "fatal: no tag exactly matches", TimeSpan.Zero),
        });

    /// <summary>cosign v2, as the verify and sign targets ask it first, in a clean clone on main (so staging's protection lets the deploy on).</summary>
    internal static void CosignV2(RecordingToolRunner runner)
    {
        GitAtHead(runner);
        runner.Script("cosign", 0, "GitVersion:    v2.5.0\n");
    }

    private static ToolResult Answer(string line) => new(0, line + "\n", string.Empty, TimeSpan.Zero);

    /// <summary>A FIFO (which would hang a reader) or a directory where a target reads <paramref name="file"/>.</summary>
    private static HostileCase NotAFile(string name, string[] args, string file, bool directory, Action<RecordingToolRunner>? script, Func<string, string> message) =>
        new(name, args, 2)
        {
            Arrange = w =>
            {
                w = file.StartsWith(".slipway/state/staging/", StringComparison.Ordinal) ? LocalState(w) : w;
                _ = directory ? w.Folder(file) : w.Fifo(file);
            },
            Script = script ?? (_ => { }),
            Expected = w => [message(w.PathOf(file))],
        };

    /// <summary>A release.json that parses but holds a value that would become a path, an argument or a name.</summary>
    private static HostileCase BadRelease(string name, string json, string message) =>
        new(name, DryRunStaging, 2)
        {
            Script = CosignV2,
            Arrange = w => w.Write(Release, json),
            Expected = _ => [message],
        };

    private static IEnumerable<HostileCase> RecordCases() =>
    [
        // release.json: read by every deploy; a dry run reads it too when it is there.
        NotAFile("release-json-is-a-fifo", DryRunStaging, Release, directory: false, CosignV2, path => $"{path}: is a FIFO (named pipe), not a regular file; only regular files are read. Run the Publish target to create it."),
        NotAFile("release-json-is-a-directory", ["--target", "Verify", "--env", "staging"], Release, directory: true, CosignV2, path => $"{path}: is a directory, not a regular file"),
        new("release-json-larger-than-the-limit", DryRunStaging, 2)
        {
            Script = CosignV2,
            Arrange = w => w.Write(Release, ReleaseJson().Replace("\"1.4.0\",", "\"1.4.0\", \"padding\": \"" + new string(' ', 2 << 20) + "\",", StringComparison.Ordinal)),
            Expected = w => [$"{w.PathOf(Release)}: is larger than the limit of 1 MiB for this file"],
        },
        new("release-json-syntax-error", DryRunStaging, 2)
        {
            Script = CosignV2,
            Arrange = w => w.Write(Release, ReleaseJson().Replace("\"registry\":", "\"registry\" ", StringComparison.Ordinal)),
            Expected = w => [$"{w.PathOf(Release)}:5:15: not a valid release manifest: '\"' is invalid after a property name. Expected a ':'."],
        },
        new("release-json-version-climbs-out", DryRunStaging, 2)
        {
            Script = CosignV2,
            Arrange = w => w.Write(Release, ReleaseJson(version: "../../../x")),
            Expected = w => [$"{w.PathOf(Release)} is not a valid release manifest: version \"../../../x\" is not a version of letters, digits, '.', '_', '+' and '-' (at most 128, no '..')"],
        },
        BadRelease("release-json-service-is-a-path", ReleaseJson(service: "../api"), "images[0].service \"../api\" is not a valid service name"),
        BadRelease("release-json-sbom-outside", ReleaseJson(sbom: "\"../../../etc/passwd\""), "images[0].sbom \"../../../etc/passwd\" is a path that climbs out with '..': an SBOM must be inside the manifest's directory"),
        BadRelease("release-json-repository-poses-as-an-option", ReleaseJson(repository: "--key=/tmp/evil.key"), "images[0].repository \"--key=/tmp/evil.key\" is not an image repository"),
        new("release-json-invalid-utf8", DryRunStaging, 2)
        {
            Script = CosignV2,
            Arrange = w => w.WriteBytes(Release, [.. Encoding.UTF8.GetBytes(ReleaseJson()[..20]), 0xFF, .. Encoding.UTF8.GetBytes(ReleaseJson()[20..])]),
            Expected = w => [$"{w.PathOf(Release)}:2:19: is not valid UTF-8 (byte 0xFF); save it as UTF-8"],
        },

        // The ledger: History and Rollback read it.
        NotAFile("ledger-is-a-fifo", HistoryOfStaging, Ledger, directory: false, null, path => $"{path}: is a FIFO (named pipe), not a regular file; only regular files are read"),
        NotAFile("ledger-is-a-directory", HistoryOfStaging, Ledger, directory: true, null, path => $"{path}: is a directory, not a regular file"),
        new("ledger-version-climbs-out", HistoryOfStaging, 0)
        {
            Arrange = w => LocalState(w).Write(Ledger, LedgerLine("1.0.0", 1) + LedgerLine("../../../x", 2)),
            Expected = w => [$"{w.PathOf(Ledger)}:2: not a valid ledger entry (its version is not a version of letters, digits, '.', '_', '+' and '-' (at most 128, no '..')); it was skipped.", "1.0.0"],
        },
        new("ledger-image-poses-as-an-option", HistoryOfStaging, 0)
        {
            Arrange = w => LocalState(w).Write(Ledger, LedgerLine("1.0.0", 1) + LedgerLine("1.1.0", 2, image: "--key=/tmp/evil.key")),
            Expected = w => [$"{w.PathOf(Ledger)}:2: not a valid ledger entry (an image is not a service name with an image reference); it was skipped."],
        },
        new("ledger-details-carry-a-terminal-sequence", HistoryOfStaging, 0)
        {
            Arrange = w => LocalState(w).Write(Ledger, LedgerLine("1.0.0", 1, details: "\\u001b[2Jcleared\\n::error::pwned")),
            Expected = _ => ["\\e[2Jcleared ::error::pwned"],
            Absent = ["\u001b"],
        },

        // The lock: a deploy reads it before anything else.
        new("lock-is-a-fifo", RollbackStaging, 1)
        {
            Arrange = w => GoodLedger(w).Fifo(Lock),
            Expected = _ => ["The environment is locked by unknown (the lock file is a FIFO (named pipe)) (pid 0 on unknown)"],
        },
        new("lock-is-a-directory", RollbackStaging, 1)
        {
            Arrange = w => GoodLedger(w).Folder(Lock),
            Expected = _ => ["The environment is locked by unknown (the lock file is a directory) (pid 0 on unknown)"],
        },
        new("lock-holder-injects-a-workflow-command", RollbackStaging, 1)
        {
            Arrange = w => GoodLedger(w).Write(Lock, $$"""{"holder":"mallory\n::error::pwned","pid":1,"version":"9.9.9","acquired":"2026-11-22T10:00:00+00:00","host":"{{System.Environment.MachineName}}"}"""),
            Expected = _ => ["The environment is locked by mallory\\n::error::pwned (pid 1 on"],
        },
        new("lock-is-garbage", RollbackStaging, 1)
        {
            Arrange = w => GoodLedger(w).Write(Lock, "\u00ff\u00fe not json at all"),
            Expected = _ => ["The environment is locked by unknown (the lock file is not readable) (pid 0 on unknown)"],
        },

        // The canary in progress: Promote, Abort and a resumed Canary act on it.
        new("canary-state-out-of-range", AbortProd, 2)
        {
            Arrange = w => w.Write(CanaryStateFile, CanaryState(weight: 400)),
            Expected = w => [$"{w.PathOf(CanaryStateFile)} (the canary in progress) cannot be read: a step, weight, count or time is out of range."],
        },
        new("canary-state-version-climbs-out", AbortProd, 2)
        {
            Arrange = w => w.Write(CanaryStateFile, CanaryState(version: "../../x")),
            Expected = w => [$"{w.PathOf(CanaryStateFile)} (the canary in progress) cannot be read: its release is not a version with image references."],
        },
        NotAFile("canary-state-is-a-fifo", AbortProd, CanaryStateFile, directory: false, null, path => $"{path} (the canary in progress) cannot be read: is a FIFO (named pipe), not a regular file"),

        // Saved infra plans: InfraApply applies only what it can trust.
        NotAFile("saved-plan-is-a-fifo", ApplyProd, PlanRecord, directory: false, GitAtHead, path => $"{path} is not a saved-plan record (is a FIFO (named pipe), not a regular file; only regular files are read): run InfraPlan again."),
        new("saved-plan-stack-outside", ApplyProd, 2)
        {
            Arrange = w => w.Write(PlanRecord, PlanJson(stack: "../../../etc")),
            Script = GitAtHead,
            Expected = w => [$"{w.PathOf(PlanRecord)} is not a saved-plan record (its stack is a path that climbs out with '..'): run InfraPlan again."],
        },
        new("saved-plan-is-garbage", ApplyProd, 2)
        {
            Arrange = w => w.Write(PlanRecord, "{\"environment\": [1, 2"),
            Script = GitAtHead,
            Expected = w => [$"{w.PathOf(PlanRecord)} is not a saved-plan record ("],
        },
    ];
}
