using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Slipway.KubeDouble;

/// <summary>
/// The helm commands of the double: version, upgrade --install, history, rollback, status, uninstall; template and lint
/// run the real Helm (<c>KUBE_DOUBLE_REAL_HELM</c>), which is also how an upgrade learns what the chart renders.
/// </summary>
internal sealed class HelmDouble(DoubleIo io)
{
    // Go's encoding/json leaves '+' and quotes readable (\"), unlike System.Text.Json's default encoder.
    private static readonly System.Text.Json.JsonSerializerOptions GoJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly HashSet<string> Global = ["namespace", "kube-context", "kubeconfig"];
    private static readonly Dictionary<string, string> Short = new(StringComparer.Ordinal) { ["n"] = "namespace", ["f"] = "values", ["o"] = "output", ["i"] = "install" };

    private int Major => io.Environment("KUBE_DOUBLE_HELM_VERSION") is { Length: > 0 } v ? int.Parse(v.TrimStart('v').Split('.')[0], CultureInfo.InvariantCulture) : 4;

    private string VersionText => io.Environment("KUBE_DOUBLE_HELM_VERSION") switch
    {
        { Length: > 0 } v when v.Contains('.', StringComparison.Ordinal) => "v" + v.TrimStart('v'),
        _ => Major == 3 ? "v3.15.4" : "v4.1.4",
    };

    public int Run(string[] args)
    {
        var rest = args.Skip(1);
        return args.FirstOrDefault() switch
        {
            "version" => Version(rest),
            "upgrade" => Upgrade(rest),
            "history" => History(rest),
            "rollback" => Rollback(rest),
            "status" => Status(rest),
            "uninstall" => Uninstall(rest),
            "template" or "lint" => RealHelm(args, io.Out, io.Error),
            null => throw new DoubleFailure("no command given (this is a TEST DOUBLE of helm: version, upgrade, history, rollback, status, uninstall; template and lint run the real helm)"),
            var other => throw new DoubleFailure($"unknown command \"{other}\" for \"helm\" (the test double implements version, upgrade, history, rollback, status, uninstall, template, lint)"),
        };
    }

    private int Version(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(["template"]), new HashSet<string>(["short"]));
        io.Out.WriteLine(line.Flag("short")
            ? $"{VersionText}+gdouble"
            : $"version.BuildInfo{{Version:\"{VersionText}\", GitCommit:\"TEST DOUBLE (kube-double), not Helm\", GitTreeState:\"clean\", GoVersion:\"none\"}}");
        return 0;
    }

    private int Upgrade(IEnumerable<string> rest)
    {
        var strings = new HashSet<string>(Global) { "values", "timeout", "history-max", "version", "set", "description" };
        var bools = new HashSet<string>(["install", "create-namespace", "atomic", "wait-for-jobs", "dry-run", "reset-values", "reuse-values"]);
        if (Major >= 4)
        {
            bools.Add("rollback-on-failure");
        }

        var waits = Major >= 4 ? new Dictionary<string, string>(StringComparer.Ordinal) { ["wait"] = "watcher" } : null;
        if (Major < 4)
        {
            bools.Add("wait");
        }

        var line = DoubleCommandLine.Parse(rest, strings, bools, waits, Short);
        if (line.Positionals.Count != 2)
        {
            throw new DoubleFailure($"\"helm upgrade\" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]");
        }

        var (release, chart) = (line.Positionals[0], line.Positionals[1]);
        var (ns, context) = Scope(line);
        var rollbackOnFailure = line.Flag("atomic") || line.Flag("rollback-on-failure");
        if (Major >= 4 && line.Has("atomic"))
        {
            io.Error.WriteLine("Flag --atomic has been deprecated, use --rollback-on-failure instead");
        }

        var wait = Major >= 4 ? WaitStrategy(line.Value("wait") ?? (rollbackOnFailure ? "watcher" : "hookOnly")) != "hookOnly" : line.Flag("wait") || rollbackOnFailure;
        var historyMax = line.Value("history-max") is { } max ? int.Parse(max, CultureInfo.InvariantCulture) : 10;
        _ = Timeout(line.Value("timeout"));

        using var state = ClusterState.Open(io.Environment);
        var record = state.Release(ns, release);
        if (record is null && !line.Flag("install"))
        {
            throw new DoubleFailure($"UPGRADE FAILED: \"{release}\" has no deployed releases");
        }

        if (record?.Revisions.LastOrDefault() is { Status: var pending } && pending.StartsWith("pending-", StringComparison.Ordinal))
        {
            throw new DoubleFailure("UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress");
        }

        if (!state.NamespaceExists(ns))
        {
            if (!line.Flag("create-namespace"))
            {
                throw new DoubleFailure($"INSTALLATION FAILED: create: failed to create: namespaces \"{ns}\" not found");
            }

            state.CreateNamespace(ns);
        }

        var rendered = Render(release, chart, ns, line.Values("values"));
        var metadata = ChartMetadata(chart);
        var installing = record is null || record.Revisions.All(r => r.Status is "uninstalled");
        record ??= new ReleaseRecord();
        var previous = record.Revisions.LastOrDefault(r => r.Status == "deployed");
        var revision = new RevisionRecord
        {
            Revision = (record.Revisions.LastOrDefault()?.Revision ?? 0) + 1,
            Updated = DateTimeOffset.UtcNow,
            Chart = metadata.Chart,
            AppVersion = metadata.AppVersion,
            Objects = [.. rendered],
        };
        if (installing)
        {
            io.Out.WriteLine($"Release \"{release}\" does not exist. Installing it now.");
        }

        record.Revisions.Add(revision);
        Apply(state, ns, previous?.Objects ?? [], revision.Objects);
        var unready = Unready(state, revision.Objects);
        if (wait && unready.Count > 0)
        {
            var verb = installing ? "INSTALLATION FAILED" : "UPGRADE FAILED";
            revision.Status = "failed";
            revision.Description = $"{(installing ? "Release" : "Upgrade")} \"{release}\" failed: context deadline exceeded";
            if (!rollbackOnFailure)
            {
                Prune(record, historyMax);
                state.Save(ns, release, record);
                throw new DoubleFailure($"{verb}: resource Deployment/{ns}/{unready[0]} not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded");
            }

            var flag = Major >= 4 ? "rollback-on-failure" : "atomic";
            if (previous is null)
            {
                // Helm uninstalls a failed first install when it rolls back on failure.
                Apply(state, ns, revision.Objects, []);
                state.Save(ns, release, null);
                throw new DoubleFailure($"{verb}: release {release} failed, and has been uninstalled due to {flag} being set: context deadline exceeded");
            }

            previous.Status = "superseded";
            var restored = new RevisionRecord
            {
                Revision = revision.Revision + 1,
                Updated = DateTimeOffset.UtcNow,
                Status = "deployed",
                Chart = previous.Chart,
                AppVersion = previous.AppVersion,
                Description = $"Rollback to {previous.Revision.ToString(CultureInfo.InvariantCulture)}",
                Objects = previous.Objects,
            };
            record.Revisions.Add(restored);
            Apply(state, ns, revision.Objects, restored.Objects);
            Prune(record, historyMax);
            state.Save(ns, release, record);
            throw new DoubleFailure($"{verb}: release {release} failed, and has been rolled back due to {flag} being set: context deadline exceeded");
        }

        if (previous is not null)
        {
            previous.Status = "superseded";
        }

        revision.Status = "deployed";
        revision.Description = installing ? "Install complete" : "Upgrade complete";
        Prune(record, historyMax);
        state.Save(ns, release, record);
        if (!installing)
        {
            io.Out.WriteLine($"Release \"{release}\" has been upgraded. Happy Helming!");
        }

        PrintRelease(release, ns, revision);
        _ = context;
        return 0;
    }

    private int History(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "output", "max" }, new HashSet<string>(), shorthands: Short);
        var (ns, _) = Scope(line);
        var release = Single(line, "history RELEASE_NAME");
        using var state = ClusterState.Open(io.Environment);
        var record = state.Release(ns, release) ?? throw new DoubleFailure("release: not found");
        var rows = record.Revisions.Select(r => new JsonObject
        {
            ["revision"] = r.Revision,
            ["updated"] = r.Updated.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture),
            ["status"] = r.Status,
            ["chart"] = r.Chart,
            ["app_version"] = r.AppVersion,
            ["description"] = r.Description,
        });
        switch (line.Value("output") ?? "table")
        {
            case "json":
                io.Out.WriteLine(new JsonArray([.. rows]).ToJsonString(GoJson));
                break;
            case "table":
                io.Out.WriteLine("REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION");
                foreach (var r in record.Revisions)
                {
                    io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Revision}\t{r.Updated:ddd MMM d HH:mm:ss yyyy}\t{r.Status}\t{r.Chart}\t{r.AppVersion}\t{r.Description}"));
                }

                break;
            case var other:
                throw new DoubleFailure($"invalid argument \"{other}\" for \"-o, --output\" flag: invalid format type (the double prints table and json)");
        }

        return 0;
    }

    private int Rollback(IEnumerable<string> rest)
    {
        var strings = new HashSet<string>(Global) { "timeout", "history-max" };
        var bools = new HashSet<string>(["cleanup-on-fail", "force", "wait-for-jobs", "dry-run", "no-hooks"]);
        Dictionary<string, string>? waits = null;
        if (Major >= 4)
        {
            waits = new Dictionary<string, string>(StringComparer.Ordinal) { ["wait"] = "watcher" };
        }
        else
        {
            bools.Add("wait");
        }

        var line = DoubleCommandLine.Parse(rest, strings, bools, waits, Short);
        var (ns, _) = Scope(line);
        if (line.Positionals.Count is < 1 or > 2)
        {
            throw new DoubleFailure("\"helm rollback\" requires at least 1 argument\n\nUsage:  helm rollback <RELEASE> [REVISION] [flags]");
        }

        var release = line.Positionals[0];
        var wait = Major >= 4 ? WaitStrategy(line.Value("wait") ?? "hookOnly") != "hookOnly" : line.Flag("wait");
        var historyMax = line.Value("history-max") is { } max ? int.Parse(max, CultureInfo.InvariantCulture) : 10;
        _ = Timeout(line.Value("timeout"));
        using var state = ClusterState.Open(io.Environment);
        var record = state.Release(ns, release) ?? throw new DoubleFailure("release: not found");
        var current = record.Revisions.LastOrDefault(r => r.Status == "deployed");
        var wanted = line.Positionals.Count == 2 ? int.Parse(line.Positionals[1], CultureInfo.InvariantCulture) : (current?.Revision ?? 1) - 1;
        var target = record.Revisions.FirstOrDefault(r => r.Revision == wanted)
            ?? throw new DoubleFailure($"release has no {wanted.ToString(CultureInfo.InvariantCulture)} version");
        var next = new RevisionRecord
        {
            Revision = record.Revisions[^1].Revision + 1,
            Updated = DateTimeOffset.UtcNow,
            Chart = target.Chart,
            AppVersion = target.AppVersion,
            Description = $"Rollback to {wanted.ToString(CultureInfo.InvariantCulture)}",
            Objects = [.. target.Objects.Select(o => o.DeepClone().AsObject())],
        };
        record.Revisions.Add(next);
        Apply(state, ns, current?.Objects ?? record.Revisions.SkipLast(1).LastOrDefault()?.Objects ?? [], next.Objects);
        var unready = Unready(state, next.Objects);
        if (current is not null)
        {
            current.Status = "superseded";
        }

        if (wait && unready.Count > 0)
        {
            next.Status = "failed";
            next.Description = $"Rollback \"{release}\" failed: context deadline exceeded";
            Prune(record, historyMax);
            state.Save(ns, release, record);
            throw new DoubleFailure($"resource Deployment/{ns}/{unready[0]} not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded");
        }

        next.Status = "deployed";
        Prune(record, historyMax);
        state.Save(ns, release, record);
        io.Out.WriteLine("Rollback was a success! Happy Helming!");
        return 0;
    }

    private int Status(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "output", "revision" }, new HashSet<string>(), shorthands: Short);
        var (ns, _) = Scope(line);
        var release = Single(line, "status RELEASE_NAME");
        using var state = ClusterState.Open(io.Environment);
        var record = state.Release(ns, release) ?? throw new DoubleFailure("release: not found");
        var latest = record.Revisions.LastOrDefault(r => r.Status == "deployed") ?? record.Revisions[^1];
        if (line.Value("output") == "json")
        {
            io.Out.WriteLine(new JsonObject
            {
                ["name"] = release,
                ["namespace"] = ns,
                ["version"] = latest.Revision,
                ["info"] = new JsonObject
                {
                    ["last_deployed"] = latest.Updated.ToString("O", CultureInfo.InvariantCulture),
                    ["status"] = latest.Status,
                    ["description"] = latest.Description,
                },
                ["chart"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = latest.Chart, ["appVersion"] = latest.AppVersion } },
            }.ToJsonString(GoJson));
        }
        else
        {
            PrintRelease(release, ns, latest);
        }

        return 0;
    }

    private int Uninstall(IEnumerable<string> rest)
    {
        var line = DoubleCommandLine.Parse(rest, new HashSet<string>(Global) { "timeout", "cascade" }, new HashSet<string>(["wait", "keep-history", "dry-run", "no-hooks"]), shorthands: Short);
        var (ns, _) = Scope(line);
        var release = Single(line, "uninstall RELEASE_NAME");
        using var state = ClusterState.Open(io.Environment);
        var record = state.Release(ns, release) ?? throw new DoubleFailure($"uninstall: Release not loaded: {release}: release: not found");
        Apply(state, ns, record.Revisions.LastOrDefault(r => r.Status == "deployed")?.Objects ?? [], []);
        state.Save(ns, release, null);
        io.Out.WriteLine($"release \"{release}\" uninstalled");
        return 0;
    }

    /// <summary>--namespace (default "default") and --kube-context, which must name a double.</summary>
    private (string Namespace, string Context) Scope(DoubleCommandLine line)
    {
        var context = line.Value("kube-context");
        KubeDoubleProgram.RefuseRealContext(context, "--kube-context");
        return (line.Value("namespace") ?? "default", context!);
    }

    private string WaitStrategy(string value) => value is "watcher" or "hookOnly" or "legacy"
        ? value
        : throw new DoubleFailure($"invalid argument \"{value}\" for \"--wait\" flag: invalid wait strategy \"{value}\", valid values are: watcher, hookOnly, legacy");

    private static TimeSpan Timeout(string? text)
    {
        if (text is null)
        {
            return TimeSpan.FromMinutes(5);
        }

        var match = System.Text.RegularExpressions.Regex.Match(text, "^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");
        return match.Success && text.Length > 0
            ? new TimeSpan(N(match.Groups[1]), N(match.Groups[2]), N(match.Groups[3]))
            : throw new DoubleFailure($"invalid argument \"{text}\" for \"--timeout\" flag: time: invalid duration \"{text}\"");

        static int N(System.Text.RegularExpressions.Group g) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Single(DoubleCommandLine line, string usage) => line.Positionals.Count == 1
        ? line.Positionals[0]
        : throw new DoubleFailure($"\"helm {usage.Split(' ')[0]}\" requires 1 argument\n\nUsage:  helm {usage} [flags]");

    /// <summary>Deployments among <paramref name="objects"/> that will not become ready.</summary>
    private static List<string> Unready(ClusterState state, IEnumerable<JsonObject> objects) =>
        [.. objects.Where(o => Kinds.Normalize(o["kind"]?.GetValue<string>() ?? string.Empty) == "deployment" && !state.IsReady(o))
            .Select(o => o["metadata"]!["name"]!.GetValue<string>())];

    /// <summary>Replaces <paramref name="before"/>'s objects with <paramref name="after"/>'s in the cluster, as Helm's three-way apply ends up.</summary>
    private static void Apply(ClusterState state, string ns, IEnumerable<JsonObject> before, IEnumerable<JsonObject> after)
    {
        var keep = after.Select(Key).ToHashSet();
        foreach (var gone in before.Where(o => !keep.Contains(Key(o))))
        {
            state.Delete(ns, gone["kind"]!.GetValue<string>(), gone["metadata"]!["name"]!.GetValue<string>());
        }

        foreach (var item in after)
        {
            state.Put(ns, item.DeepClone().AsObject());
        }

        static (string, string) Key(JsonObject o) => (Kinds.Normalize(o["kind"]!.GetValue<string>()), o["metadata"]!["name"]!.GetValue<string>());
    }

    /// <summary>Helm keeps at most <paramref name="max"/> revisions (0: all), dropping the oldest.</summary>
    private static void Prune(ReleaseRecord record, int max)
    {
        while (max > 0 && record.Revisions.Count > max)
        {
            record.Revisions.RemoveAt(0);
        }
    }

    private void PrintRelease(string release, string ns, RevisionRecord revision)
    {
        io.Out.WriteLine($"NAME: {release}");
        io.Out.WriteLine($"LAST DEPLOYED: {revision.Updated.ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture)}");
        io.Out.WriteLine($"NAMESPACE: {ns}");
        io.Out.WriteLine($"STATUS: {revision.Status}");
        io.Out.WriteLine($"REVISION: {revision.Revision.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>What the chart renders for this release, by the real <c>helm template</c>: every object, Deployments with their images.</summary>
    private List<JsonObject> Render(string release, string chart, string ns, IReadOnlyList<string> valuesFiles)
    {
        var args = new List<string> { "template", release, chart, "--namespace", ns };
        foreach (var file in valuesFiles)
        {
            args.Add("-f");
            args.Add(file);
        }

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        if (RealHelm([.. args], stdout, stderr) != 0)
        {
            throw new DoubleFailure($"UPGRADE FAILED: the chart did not render (real helm template): {stderr.ToString().Trim()}");
        }

        return [.. YamlJson.Documents(stdout.ToString()).Where(o => o["kind"] is not null && o["metadata"]?["name"] is not null)];
    }

    private int RealHelm(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var helm = io.Environment("KUBE_DOUBLE_REAL_HELM") is { Length: > 0 } path && File.Exists(path)
            ? path
            : throw new DoubleFailure("KUBE_DOUBLE_REAL_HELM is not set to a real helm binary: the double renders charts with the real `helm template` (it cannot reach a cluster, and never does)");
        var start = new ProcessStartInfo(helm) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new DoubleFailure($"could not start {helm}");
        var error = process.StandardError.ReadToEndAsync();
        stdout.Write(process.StandardOutput.ReadToEnd());
        stderr.Write(error.GetAwaiter().GetResult());
        process.WaitForExit();
        return process.ExitCode;
    }

    private static (string Chart, string AppVersion) ChartMetadata(string chart)
    {
        var file = Path.Combine(chart, "Chart.yaml");
        if (!File.Exists(file))
        {
            return (Path.GetFileName(chart.TrimEnd('/')), string.Empty);
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(file, Encoding.UTF8)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        string Field(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode s ? s.Value ?? string.Empty : string.Empty;
        return ($"{Field("name")}-{Field("version")}", Field("appVersion"));
    }
}

/// <summary>The double's standard streams and environment.</summary>
internal sealed record DoubleIo(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> Environment);
