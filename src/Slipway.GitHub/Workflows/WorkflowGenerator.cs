using Slipway.Environments;
using Slipway.Targets;

namespace Slipway.GitHub.Workflows;

/// <summary>The blueprint names a target, an environment or a job the pipeline cannot provide.</summary>
public sealed class WorkflowGenerationException : Exception
{
    /// <summary>Creates the exception with every problem found.</summary>
    public WorkflowGenerationException(IReadOnlyList<string> problems)
        : base("Cannot generate the GitHub workflows:" + Environment.NewLine + string.Join(Environment.NewLine, (problems ?? []).Select(p => "  " + p)))
    {
        Problems = problems ?? [];
    }

    /// <summary>Creates the exception with one message.</summary>
    public WorkflowGenerationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception (serialization pattern).</summary>
    public WorkflowGenerationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public WorkflowGenerationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Every problem, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; } = [];
}

/// <summary>
/// Turns a <see cref="WorkflowBlueprint"/> into workflows. Pure: the same graph, blueprint and environments always
/// give the same workflows. Jobs follow the target graph: a job needs the jobs whose targets its own targets depend
/// on, run after, or read artifacts of; <c>artifacts/release.json</c> and other declared artifacts travel between
/// jobs as workflow artifacts; every job runs <c>./build.sh</c> exactly as a person would.
/// </summary>
public static class WorkflowGenerator
{
    /// <summary>Generates every file of <paramref name="blueprint"/>; throws <see cref="WorkflowGenerationException"/> listing every problem.</summary>
    public static IReadOnlyList<Workflow> Generate(TargetGraph graph, WorkflowBlueprint blueprint, IReadOnlyDictionary<string, WorkflowEnvironment> environments)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(blueprint);
        ArgumentNullException.ThrowIfNull(environments);
        var problems = Check(graph, blueprint, environments);
        if (problems.Count > 0)
        {
            throw new WorkflowGenerationException(problems);
        }

        return [.. blueprint.Files.Select(file => GenerateFile(graph, blueprint, environments, file))];
    }

    private static List<string> Check(TargetGraph graph, WorkflowBlueprint blueprint, IReadOnlyDictionary<string, WorkflowEnvironment> environments)
    {
        var problems = new List<string>();
        var available = graph.Targets.Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        foreach (var file in blueprint.Files)
        {
            var jobs = file.Lanes.SelectMany(l => l.Jobs.Select(j => (Job: j, Where: $"{file.FileName}, job {j.Id}")))
                .Concat(file.Dispatch is { } d ? [(d.Job, $"{file.FileName}, job {d.Job.Id}")] : []).ToList();
            foreach (var duplicate in jobs.GroupBy(j => j.Job.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                problems.Add($"{file.FileName}: job id '{duplicate.Key}' is used {duplicate.Count()} times; job ids must be unique in a file.");
            }

            foreach (var (job, where) in jobs)
            {
                foreach (var target in job.Targets.Where(t => !graph.ByName.ContainsKey(t)))
                {
                    problems.Add($"Target '{target}' ({where}) does not exist in the pipeline.{NameSuggestions.DidYouMean(target, available)} Available targets: {string.Join(", ", available)}.");
                }
            }

            var laneEnvironments = file.Lanes.Select(l => l.Environment).Concat(file.Dispatch?.Environments ?? []);
            foreach (var name in laneEnvironments.Where(n => !environments.ContainsKey(n)).Distinct(StringComparer.Ordinal))
            {
                problems.Add($"{file.FileName} needs environment '{name}', which has no valid environments/{name}.yml.{NameSuggestions.DidYouMean(name, environments.Keys)}");
            }

            foreach (var lane in file.Lanes.Where(l => environments.ContainsKey(l.Environment)))
            {
                var trigger = environments[lane.Environment].Trigger;
                if (trigger.On != TriggerEvent.PullRequest && string.IsNullOrEmpty(trigger.Pattern))
                {
                    problems.Add($"environments/{lane.Environment}.yml: trigger.pattern is required for a {trigger.On.ToString().ToLowerInvariant()} trigger.");
                }
            }
        }

        return problems;
    }

    private static Workflow GenerateFile(TargetGraph graph, WorkflowBlueprint blueprint, IReadOnlyDictionary<string, WorkflowEnvironment> environments, WorkflowFileSpec file)
    {
        var jobs = new List<WorkflowJob>();
        var triggers = new WorkflowTriggers();
        foreach (var lane in file.Lanes)
        {
            var environment = environments[lane.Environment];
            triggers = environment.Trigger.On switch
            {
                TriggerEvent.PullRequest => triggers with { PullRequest = true },
                TriggerEvent.Branch => triggers with { PushBranches = [.. triggers.PushBranches, environment.Trigger.Pattern!] },
                _ => triggers with { PushTags = [.. triggers.PushTags, environment.Trigger.Pattern!] },
            };
            var condition = file.Lanes.Count > 1 ? Condition(environment.Trigger) : null;
            jobs.AddRange(LaneJobs(graph, blueprint, lane, environment, condition));
        }

        if (file.Dispatch is { } dispatch)
        {
            triggers = triggers with
            {
                Dispatch =
                [
                    new WorkflowInput("environment", "The environment to act on", Required: true, dispatch.Environments),
                    new WorkflowInput("version", "The version to return to; empty for the good release before the current one (from the ledger)", Required: false),
                ],
            };
            jobs.Add(DispatchJob(graph, blueprint, environments, file, dispatch));
        }

        return new Workflow(file.FileName, file.Name, triggers, jobs);
    }

    private static IEnumerable<WorkflowJob> LaneJobs(TargetGraph graph, WorkflowBlueprint blueprint, LaneSpec lane, WorkflowEnvironment environment, string? condition)
    {
        var closures = lane.Jobs.ToDictionary(j => j.Id, j => Closure(graph, j.Targets), StringComparer.Ordinal);
        var needs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < lane.Jobs.Count; i++)
        {
            var job = lane.Jobs[i];
            var direct = new List<string>();
            for (var k = 0; k < i; k++)
            {
                var earlier = lane.Jobs[k];
                if (Follows(graph, closures[job.Id], earlier.Targets, closures[earlier.Id]))
                {
                    direct.Add(earlier.Id);
                }
            }

            // Keep only the nearest: a job reached through another needed job is implied.
            needs[job.Id] = [.. direct.Where(n => !direct.Any(other => other != n && Reaches(needs, other, n)))];
        }

        var artifactPaths = ArtifactsBetweenJobs(graph, lane.Jobs, closures);
        foreach (var job in lane.Jobs)
        {
            var closure = closures[job.Id];
            var steps = SetupSteps(blueprint, closure, environment.UsesKubernetes && job.Deploys && job.UsesSecrets);
            foreach (var path in artifactPaths.Where(a => a.Consumer.Contains(job.Id)))
            {
                steps.Add(new WorkflowStep($"Download {path.Path}")
                {
                    Uses = PinnedActions.DownloadArtifact,
                    With = [new("name", ArtifactName(environment.Name, path.Path)), new("path", DownloadPath(path.Path))],
                });
            }

            steps.Add(new WorkflowStep(string.Join(" ", job.Targets))
            {
                Run = Command(job, environment.Name, job.PerService ? "${{ matrix.service }}" : null),
            });
            foreach (var path in artifactPaths.Where(a => a.Producer == job.Id))
            {
                steps.Add(new WorkflowStep($"Upload {path.Path}")
                {
                    Uses = PinnedActions.UploadArtifact,
                    With = [new("name", ArtifactName(environment.Name, path.Path)), new("path", path.Path), new("if-no-files-found", "error")],
                });
            }

            yield return new WorkflowJob(job.Id, $"{string.Join(" ", job.Targets)} ({environment.Name}{(job.PerService ? ", ${{ matrix.service }}" : string.Empty)})")
            {
                Needs = needs[job.Id],
                If = condition,
                RunsOn = blueprint.RunsOn,
                Environment = job.Deploys ? lane.GitHubEnvironment : null,
                Permissions = Permissions(blueprint, closure, environment, job.Deploys),
                Concurrency = job.Deploys ? new WorkflowConcurrency($"deploy-{environment.Name}", CancelInProgress: false) : null,
                Matrix = job.PerService ? new WorkflowMatrix("service", environment.Services) : null,
                TimeoutMinutes = job.TimeoutMinutes,
                Env = job.UsesSecrets ? EnvironmentVariables([job.Deploys ? environment : environment with { Secrets = environment.RegistrySecrets }]) : [],
                Steps = steps,
            };
        }
    }

    private static WorkflowJob DispatchJob(TargetGraph graph, WorkflowBlueprint blueprint, IReadOnlyDictionary<string, WorkflowEnvironment> environments, WorkflowFileSpec file, DispatchSpec dispatch)
    {
        var job = dispatch.Job;
        var chosen = dispatch.Environments.Select(e => environments[e]).ToList();
        var closure = Closure(graph, job.Targets);
        var steps = SetupSteps(blueprint, closure, kubeconfig: job.UsesSecrets && chosen.Any(e => e.UsesKubernetes));
        steps.Add(new WorkflowStep(string.Join(" ", job.Targets))
        {
            Run = Command(job, "\"$SLIPWAY_ENV\"", service: null),
        });

        // inputs go through variables, never into the command text: no expression can inject shell.
        var variables = new List<KeyValuePair<string, string>>
        {
            new("SLIPWAY_ENV", "${{ inputs.environment }}"),
            new("SLIPWAY_" + dispatch.VersionParameter.ToUpperInvariant(), "${{ inputs.version }}"),
        };
        if (job.UsesSecrets)
        {
            variables.AddRange(EnvironmentVariables(chosen));
        }

        var githubEnvironment = dispatch.GitHubEnvironments.Where(e => e.Key != e.Value).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Aggregate("inputs.environment", (expression, e) => $"inputs.environment == '{e.Key}' && '{e.Value}' || {expression}");
        return new WorkflowJob(job.Id, $"{string.Join(" ", job.Targets)} (${{{{ inputs.environment }}}})")
        {
            RunsOn = blueprint.RunsOn,
            Environment = job.Deploys ? "${{ " + githubEnvironment + " }}" : null,
            Permissions = Permissions(blueprint, closure, null, job.Deploys),
            Concurrency = job.Deploys ? new WorkflowConcurrency("deploy-${{ inputs.environment }}", CancelInProgress: false) : null,
            TimeoutMinutes = job.TimeoutMinutes,
            Env = variables,
            Steps = steps,
        };
    }

    /// <summary>
    /// How long a deploy job waits for the environment's lock. GitHub's concurrency group queues only this repository's
    /// jobs; a deploy from elsewhere (a laptop, another runner, a re-run beside the run) holds the lock on the
    /// environment, and the job waits for it instead of failing at once (a lease that runs out is taken over anyway).
    /// </summary>
    private const string DeployLockWait = "15m";

    /// <summary><c>./build.sh --target A B --env E [--service S] [--lock-wait W] [--provision]</c>: the local command.</summary>
    private static string Command(JobSpec job, string environment, string? service)
    {
        var command = $"./build.sh --target {string.Join(" ", job.Targets)} --env {environment}";
        if (service is not null)
        {
            command += $" --service {service}";
        }

        if (job.Deploys)
        {
            command += $" --lock-wait {DeployLockWait}";
        }

        return job.Provision ? command + " --provision" : command;
    }

    private static List<WorkflowStep> SetupSteps(WorkflowBlueprint blueprint, HashSet<string> closure, bool kubeconfig)
    {
        var steps = new List<WorkflowStep>
        {
            // Full history: the version comes from tags and the commit count, as locally.
            new("Check out") { Uses = PinnedActions.Checkout, With = [new("fetch-depth", "0")] },
            new("Set up .NET") { Uses = PinnedActions.SetupDotNet, With = [new("global-json-file", "global.json")] },
        };
        if (closure.Overlaps(blueprint.CosignTargets))
        {
            steps.Add(new WorkflowStep("Install cosign") { Uses = PinnedActions.CosignInstaller });
        }

        if (kubeconfig)
        {
            steps.Add(new WorkflowStep("Write the kubeconfig")
            {
                Env = [new("KUBECONFIG_DATA", "${{ secrets.KUBECONFIG_DATA }}")],
                Run = "install -m 600 /dev/null \"$RUNNER_TEMP/kubeconfig\"\nprintf '%s' \"$KUBECONFIG_DATA\" > \"$RUNNER_TEMP/kubeconfig\"\necho \"KUBECONFIG=$RUNNER_TEMP/kubeconfig\" >> \"$GITHUB_ENV\"\n",
            });
        }

        return steps;
    }

    private static Dictionary<string, string>? Permissions(WorkflowBlueprint blueprint, HashSet<string> closure, WorkflowEnvironment? environment, bool deploys)
    {
        var permissions = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["contents"] = "read" };
        if (environment is { KeylessSigning: true } && closure.Overlaps(blueprint.SigningTargets))
        {
            permissions["id-token"] = "write";
        }

        if (environment is { PushesToGhcr: true } && closure.Overlaps(blueprint.PublishingTargets))
        {
            permissions["packages"] = "write";
        }

        if (deploys)
        {
            permissions["deployments"] = "write";
        }

        return permissions.Count == 1 ? null : new Dictionary<string, string>(permissions, StringComparer.Ordinal);
    }

    private static List<KeyValuePair<string, string>> EnvironmentVariables(IEnumerable<WorkflowEnvironment> environments)
    {
        var list = environments.ToList();
        var secrets = list.SelectMany(e => e.Secrets).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var variables = list.SelectMany(e => e.Variables).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return
        [
            .. secrets.Select(s => new KeyValuePair<string, string>(s, $"${{{{ secrets.{s} }}}}")),
            .. variables.Select(v => new KeyValuePair<string, string>(v, $"${{{{ vars.{v} }}}}")),
        ];
    }

    private static string Condition(EnvironmentTrigger trigger) => trigger.On switch
    {
        TriggerEvent.PullRequest => "github.event_name == 'pull_request'",
        TriggerEvent.Branch => RefCondition("refs/heads/", trigger.Pattern!),
        _ => RefCondition("refs/tags/", trigger.Pattern!),
    };

    private static string RefCondition(string prefix, string pattern) =>
        pattern.EndsWith('*') && pattern.IndexOf('*', StringComparison.Ordinal) == pattern.Length - 1
            ? $"github.event_name == 'push' && startsWith(github.ref, '{prefix}{pattern[..^1]}')"
            : $"github.event_name == 'push' && github.ref == '{prefix}{pattern}'";

    /// <summary>The targets a <c>./build.sh --target</c> of <paramref name="targets"/> plans: them and their dependencies.</summary>
    private static HashSet<string> Closure(TargetGraph graph, IEnumerable<string> targets)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(targets);
        while (pending.TryPop(out var name))
        {
            if (graph.ByName.TryGetValue(name, out var spec) && closure.Add(spec.Name))
            {
                foreach (var next in spec.Dependencies.Concat(spec.Triggers))
                {
                    pending.Push(next);
                }
            }
        }

        return closure;
    }

    /// <summary>A job follows an earlier one when it plans one of its targets, runs after one, or reads what one writes.</summary>
    private static bool Follows(TargetGraph graph, HashSet<string> closure, IReadOnlyList<string> earlierTargets, HashSet<string> earlierClosure)
    {
        if (earlierTargets.Any(closure.Contains))
        {
            return true;
        }

        var specs = closure.Select(n => graph.ByName[n]).ToList();
        if (specs.Any(s => s.After.Any(earlierTargets.Contains)) || earlierTargets.Any(e => graph.ByName[e].Before.Any(closure.Contains)))
        {
            return true;
        }

        var produced = earlierClosure.SelectMany(n => graph.ByName[n].Produces).Select(Normalize).ToHashSet(StringComparer.Ordinal);
        var ownProduced = specs.SelectMany(s => s.Produces).Select(Normalize).ToHashSet(StringComparer.Ordinal);
        return specs.SelectMany(s => s.Consumes).Select(Normalize).Any(p => produced.Contains(p) && !ownProduced.Contains(p));
    }

    private static bool Reaches(Dictionary<string, List<string>> needs, string from, string to) =>
        needs.TryGetValue(from, out var direct) && (direct.Contains(to) || direct.Any(n => Reaches(needs, n, to)));

    /// <summary>Artifacts a job reads that an earlier job of the lane writes (and the reader does not write itself).</summary>
    private static List<(string Path, string Producer, HashSet<string> Consumer)> ArtifactsBetweenJobs(TargetGraph graph, IReadOnlyList<JobSpec> jobs, Dictionary<string, HashSet<string>> closures)
    {
        var result = new List<(string Path, string Producer, HashSet<string> Consumer)>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var consumes = closures[jobs[i].Id].SelectMany(n => graph.ByName[n].Consumes).Select(Normalize).Distinct(StringComparer.Ordinal);
            var ownProduced = closures[jobs[i].Id].SelectMany(n => graph.ByName[n].Produces).Select(Normalize).ToHashSet(StringComparer.Ordinal);
            foreach (var path in consumes.Where(p => !ownProduced.Contains(p)))
            {
                var producer = jobs.Take(i).LastOrDefault(j => closures[j.Id].Any(n => graph.ByName[n].Produces.Select(Normalize).Contains(path)));
                if (producer is null)
                {
                    continue;
                }

                var existing = result.FindIndex(r => r.Path == path && r.Producer == producer.Id);
                if (existing < 0)
                {
                    result.Add((path, producer.Id, new HashSet<string>(StringComparer.Ordinal) { jobs[i].Id }));
                }
                else
                {
                    result[existing].Consumer.Add(jobs[i].Id);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Where download-artifact unpacks: upload-artifact roots a single file at its folder and a directory at itself, so a
    /// file (a path with an extension, like artifacts/release.json) goes back to its folder and a directory (artifacts/sbom)
    /// to its own path.
    /// </summary>
    private static string DownloadPath(string path) =>
        Path.HasExtension(path) ? Path.GetDirectoryName(path)!.Replace('\\', '/') : path;

    private static string ArtifactName(string environment, string path) => $"{environment}-{Path.GetFileNameWithoutExtension(path)}";

    private static string Normalize(string path) => path.Replace('\\', '/').TrimStart('.', '/').TrimEnd('/');
}
