using System.Text;
using System.Text.RegularExpressions;
using Slipway.Build;
using Slipway.Cli;
using Slipway.Targets;
using Slipway.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Slipway.Tests.GitHub;

/// <summary>
/// Every <c>./build.sh</c> command line the committed workflows run — matrix values, inputs and the job's variables
/// substituted — and every one the README shows goes through the real CLI parser, parameter binding, the planner and
/// the pipeline's configuration checks (no tool runs) and is accepted. The workflow validators check the YAML; only
/// this shows that the commands in it work.
/// </summary>
public sealed partial class WorkflowCommandLineTests
{
    private static readonly string[] Documents = ["README.md", "docs/environments.md"];

    public static TheoryData<string> WorkflowCommands() => [.. CommandsOfWorkflows().Distinct(StringComparer.Ordinal)];

    public static TheoryData<string> ReadmeCommands() => [.. CommandsOfReadme()];

    [Fact]
    public void The_workflows_run_build_sh_in_every_job_that_deploys_or_builds()
    {
        var commands = CommandsOfWorkflows().ToList();

        Assert.Contains("--target Build Sbom Scan --env dev --service api --provision", commands);
        Assert.Contains("--target Build Sbom Scan --env dev --service worker --provision", commands);
        Assert.Contains("--target Rollback --env staging --lock-wait 15m --provision", commands);
        Assert.Contains("--target Rollback --env prod --lock-wait 15m --provision", commands);
        Assert.True(commands.Count >= 12, string.Join("\n", commands));
    }

    [Theory]
    [MemberData(nameof(WorkflowCommands))]
    public void A_command_line_of_the_committed_workflows_is_accepted(string commandLine) =>
        AssertAccepted(commandLine);

    [Theory]
    [MemberData(nameof(ReadmeCommands))]
    public void A_command_line_of_the_readme_is_accepted(string commandLine) =>
        AssertAccepted(commandLine);

    [Fact]
    public void Both_forms_of_target_plan_the_same_targets()
    {
        var oneOption = Plan("--target Publish Sign DeployStaging --env staging");
        var repeated = Plan("--target Publish --target Sign --target DeployStaging --env staging");

        Assert.Equal(oneOption, repeated);
        Assert.Contains("Sign", oneOption);
    }

    private static void AssertAccepted(string commandLine)
    {
        var pipeline = new SlipwayPipeline();
        var plan = PlanOf(pipeline, commandLine);
        Assert.Empty(pipeline.Validate(plan));
    }

    private static List<string> Plan(string commandLine) => [.. PlanOf(new SlipwayPipeline(), commandLine).Targets.Select(t => t.Name)];

    /// <summary>What the host does before it runs anything: parse, bind, plan.</summary>
    private static Plan PlanOf(SlipwayPipeline pipeline, string commandLine)
    {
        var args = Split(commandLine);
        var parameters = Pipeline.DiscoverParameters(pipeline.GetType());
        var (options, usageErrors) = CommandLineParser.Parse(args, parameters);
        Assert.True(options is not null, $"{commandLine}: {string.Join("; ", usageErrors)}");

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        typeof(Pipeline).GetProperty(nameof(Pipeline.RootDirectory))!.SetValue(pipeline, TestPaths.RepositoryRoot);
        typeof(Pipeline).GetProperty(nameof(Pipeline.Variables))!.SetValue(pipeline, environment);
        Assert.Empty(ParameterBinder.Bind(pipeline, parameters, options.Parameters, environment));

        var graph = pipeline.BuildGraph();
        var request = new PlanRequest([.. pipeline.AdditionalTargets, .. options.Targets], options.Skip, options.Exclusive);
        var planned = Planner.Plan(graph, request, parameters, name => ParameterBinder.HasValue(pipeline, parameters, name));
        Assert.True(planned.Succeeded, $"{commandLine}: {string.Join("; ", planned.Errors)}");
        return planned.Plan!;
    }

    /// <summary>Each <c>./build.sh</c> line of each job, once per matrix combination and per choice of a dispatch input.</summary>
    internal static IEnumerable<string> CommandsOfWorkflows() => CommandsOfWorkflowsWithRef().Select(c => c.Command);

    /// <summary>
    /// <see cref="CommandsOfWorkflows"/>, each with the <c>GITHUB_REF</c> its workflow runs for: a tag matching the first
    /// <c>push.tags</c> pattern, else the first <c>push.branches</c> branch, else <c>refs/heads/main</c> (a dispatch).
    /// </summary>
    internal static IEnumerable<(string GitHubRef, string Command)> CommandsOfWorkflowsWithRef()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, ".github", "workflows"), "*.yml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            var workflow = (YamlMappingNode)stream.Documents[0].RootNode;
            var inputs = Choices(workflow);
            var gitHubRef = TriggeringRef(workflow);
            foreach (var (_, jobNode) in (YamlMappingNode)workflow["jobs"])
            {
                var job = (YamlMappingNode)jobNode;
                var variables = Child(job, "env") is YamlMappingNode env
                    ? env.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? string.Empty, StringComparer.Ordinal)
                    : [];
                var runs = (Child(job, "steps") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>()
                    .Select(step => Child(step, "run") is YamlScalarNode run ? run.Value : null).OfType<string>() ?? [];
                foreach (var line in runs.SelectMany(r => r.Split('\n')).Where(l => l.TrimStart().StartsWith("./build.sh", StringComparison.Ordinal)))
                {
                    foreach (var values in Combinations([.. Matrix(job), .. inputs]))
                    {
                        yield return (gitHubRef, Substitute(line.Trim(), values, variables)["./build.sh".Length..].Trim());
                    }
                }
            }
        }
    }

    private static string TriggeringRef(YamlMappingNode workflow)
    {
        var push = Child(workflow, "on") is YamlMappingNode on ? Child(on, "push") as YamlMappingNode : null;
        if (push is not null && Child(push, "tags") is YamlSequenceNode { Children.Count: > 0 } tags)
        {
            return "refs/tags/" + ((YamlScalarNode)tags.Children[0]).Value!.Replace("*", "1.0.0", StringComparison.Ordinal);
        }

        return push is not null && Child(push, "branches") is YamlSequenceNode { Children.Count: > 0 } branches
            ? "refs/heads/" + ((YamlScalarNode)branches.Children[0]).Value
            : "refs/heads/main";
    }

    /// <summary>The <c>./build.sh</c> command lines of the README and docs, comments dropped.</summary>
    private static IEnumerable<string> CommandsOfReadme() =>
        Documents
            .SelectMany(f => File.ReadLines(Path.Combine(TestPaths.RepositoryRoot, f)))
            .SelectMany(line => BuildShCommand().Matches(line).Select(m => m.Groups["args"].Value.Split(" #")[0].Trim()))
            .Where(args => args.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

    private static IEnumerable<(string Name, IReadOnlyList<string> Values)> Matrix(YamlMappingNode job) =>
        Child(job, "strategy") is YamlMappingNode strategy && Child(strategy, "matrix") is YamlMappingNode matrix
            ? matrix.Children.Where(e => e.Value is YamlSequenceNode)
                .Select(e => ("matrix." + ((YamlScalarNode)e.Key).Value, (IReadOnlyList<string>)[.. ((YamlSequenceNode)e.Value).Children.Select(v => ((YamlScalarNode)v).Value!)]))
            : [];

    /// <summary>The dispatch inputs: a choice's options, or a sample for free text (the empty value is the default).</summary>
    private static IEnumerable<(string Name, IReadOnlyList<string> Values)> Choices(YamlMappingNode workflow)
    {
        if (Child(workflow, "on") is not YamlMappingNode on || Child(on, "workflow_dispatch") is not YamlMappingNode dispatch
            || Child(dispatch, "inputs") is not YamlMappingNode inputs)
        {
            yield break;
        }

        foreach (var (key, value) in inputs)
        {
            var input = (YamlMappingNode)value;
            IReadOnlyList<string> values = Child(input, "options") is YamlSequenceNode options
                ? [.. options.Children.Select(o => ((YamlScalarNode)o).Value!)]
                : ["", "1.2.3"];
            yield return ("inputs." + ((YamlScalarNode)key).Value, values);
        }
    }

    private static IEnumerable<Dictionary<string, string>> Combinations(IReadOnlyList<(string Name, IReadOnlyList<string> Values)> axes)
    {
        IEnumerable<Dictionary<string, string>> combinations = [new Dictionary<string, string>(StringComparer.Ordinal)];
        foreach (var (name, values) in axes)
        {
            combinations = [.. combinations.SelectMany(c => values.Select(v => new Dictionary<string, string>(c, StringComparer.Ordinal) { [name] = v }))];
        }

        return combinations;
    }

    /// <summary>Replaces <c>${{ name }}</c> expressions, then <c>$VAR</c> and <c>"$VAR"</c> from the job's env (itself substituted).</summary>
    private static string Substitute(string line, Dictionary<string, string> values, Dictionary<string, string> variables)
    {
        string Expressions(string text) => Expression().Replace(text, m => values.TryGetValue(m.Groups["name"].Value, out var v)
            ? v
            : throw new InvalidOperationException($"no value for ${{{{ {m.Groups["name"].Value} }}}} in: {line}"));
        var result = Expressions(line);
        return ShellVariable().Replace(result, m => variables.TryGetValue(m.Groups["name"].Value, out var v) ? Expressions(v) : m.Value);
    }

    /// <summary>Splits a command line as a shell would for these simple lines: spaces separate, double quotes group.</summary>
    internal static string[] Split(string commandLine)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var started = false;
        foreach (var c in commandLine)
        {
            if (c == '"')
            {
                quoted = !quoted;
                started = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (started)
                {
                    args.Add(current.ToString());
                    current.Clear();
                    started = false;
                }
            }
            else
            {
                current.Append(c);
                started = true;
            }
        }

        if (started)
        {
            args.Add(current.ToString());
        }

        return [.. args];
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    [GeneratedRegex(@"\$\{\{\s*(?<name>[A-Za-z0-9_.]+)\s*\}\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"""?\$(?<name>[A-Z_][A-Z0-9_]*)""?")]
    private static partial Regex ShellVariable();

    [GeneratedRegex(@"\./build\.sh(?<args>( +[^`|]+)?)")]
    private static partial Regex BuildShCommand();
}
