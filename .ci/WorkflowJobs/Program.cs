// Reads one job of a committed workflow with a YAML parser and prints it as a bash script for .ci/runner-emulation.sh:
//   job_env NAME VALUE            the job's env, in order
//   step_uses NAME ACTION K=V...  a uses: step (ACTION without its @pin), with its with: inputs
//   step_run NAME SCRIPT K=V...   a run: step, with its own env
// ${{ matrix.* }}, ${{ inputs.* }}, ${{ vars.* }} and ${{ secrets.* }} are replaced from the NAME=VALUE arguments
// (an undefined var or secret is empty, as on GitHub); any other expression in what is printed is an error (exit 2).
// Usage: WorkflowJobs WORKFLOW.yml JOB [matrix.service=api inputs.environment=staging vars.X=... secrets.Y=...]
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: WorkflowJobs WORKFLOW.yml JOB [name=value ...]");
    return 2;
}

var values = new Dictionary<string, string>(StringComparer.Ordinal);
foreach (var pair in args.Skip(2))
{
    var equals = pair.IndexOf('=', StringComparison.Ordinal);
    if (equals <= 0)
    {
        Console.Error.WriteLine($"error: '{pair}' is not name=value");
        return 2;
    }

    values[pair[..equals]] = pair[(equals + 1)..];
}

var stream = new YamlStream();
stream.Load(new StringReader(File.ReadAllText(args[0])));
var workflow = (YamlMappingNode)stream.Documents[0].RootNode;
if (Child((YamlMappingNode)workflow["jobs"], args[1]) is not YamlMappingNode job)
{
    Console.Error.WriteLine($"error: {args[0]} has no job '{args[1]}'");
    return 2;
}

var script = new StringBuilder();
try
{
    foreach (var (name, value) in Pairs(Child(job, "env")))
    {
        script.Append("job_env ").Append(Quote(name)).Append(' ').AppendLine(Quote(Substitute(value)));
    }

    foreach (var step in (Child(job, "steps") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>() ?? [])
    {
        var stepName = Scalar(step, "name") ?? "(unnamed)";
        if (Scalar(step, "uses") is { } uses)
        {
            script.Append("step_uses ").Append(Quote(stepName)).Append(' ').Append(Quote(uses.Split('@')[0]));
            AppendPairs(Child(step, "with"));
        }
        else if (Scalar(step, "run") is { } run)
        {
            script.Append("step_run ").Append(Quote(stepName)).Append(' ').Append(Quote(Substitute(run)));
            AppendPairs(Child(step, "env"));
        }
        else
        {
            throw new InvalidOperationException($"step '{stepName}' has neither uses: nor run:");
        }

        script.AppendLine();
    }
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"error: {args[0]}, job {args[1]}: {ex.Message}");
    return 2;
}

Console.Out.Write(script.ToString());
return 0;

void AppendPairs(YamlNode? node)
{
    foreach (var (name, value) in Pairs(node))
    {
        script.Append(' ').Append(Quote($"{name}={Substitute(value)}"));
    }
}

string Substitute(string text) => Expressions.Expression().Replace(text, m =>
{
    var name = m.Groups["name"].Value;
    return values.TryGetValue(name, out var value) ? value
        : name.StartsWith("vars.", StringComparison.Ordinal) || name.StartsWith("secrets.", StringComparison.Ordinal) ? string.Empty
        : throw new InvalidOperationException($"no value for ${{{{ {name} }}}} (give it as {name}=VALUE)");
});

static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

static YamlNode? Child(YamlMappingNode node, string key) =>
    node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

static IEnumerable<(string Name, string Value)> Pairs(YamlNode? node) =>
    node is YamlMappingNode mapping
        ? mapping.Children.Select(e => (((YamlScalarNode)e.Key).Value!, (e.Value as YamlScalarNode)?.Value ?? string.Empty))
        : [];

internal static partial class Expressions
{
    /// <summary>A <c>${{ expression }}</c>; the name is the whole expression, trimmed.</summary>
    [GeneratedRegex(@"\$\{\{\s*(?<name>.+?)\s*\}\}")]
    public static partial Regex Expression();
}
