using System.Text;
using Slipway.Targets;

namespace Slipway.Cli;

/// <summary><c>--help</c> and <c>--description</c>: usage, options, targets and parameters, as plain text.</summary>
internal static class HelpRenderer
{
    /// <summary>Renders the help text.</summary>
    /// <param name="title">The pipeline's title.</param>
    /// <param name="graph">Its targets.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="includeUsage">False for <c>--description</c>: targets and parameters only.</param>
    public static string Render(string title, TargetGraph graph, IReadOnlyList<ParameterDescriptor> parameters, bool includeUsage)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder();
        if (includeUsage)
        {
            text.Append(title).Append(" — Slipway pipeline\n\n");
            text.Append("Usage: ./build.sh [--target <name>]... [options] [parameters]\n\n");
            text.Append("Options:\n");
            var width = CommandLineParser.BuiltInOptions.Max(o => (o.Name + " " + o.Hint).Length);
            foreach (var (name, hint, description) in CommandLineParser.BuiltInOptions)
            {
                text.Append("  ").Append((name + " " + hint).TrimEnd().PadRight(width)).Append("  ").Append(description).Append('\n');
            }

            text.Append('\n');
        }

        text.Append("Targets:\n");
        var nameWidth = graph.Targets.Count == 0 ? 0 : graph.Targets.Max(t => t.Name.Length + (t.Name == graph.DefaultTarget ? 10 : 0));
        foreach (var target in graph.Targets)
        {
            var name = target.Name + (target.Name == graph.DefaultTarget ? " (default)" : string.Empty);
            text.Append("  ").Append(name.PadRight(nameWidth)).Append("  ").Append(target.Description ?? string.Empty).Append('\n');
            var relations = new List<string>();
            if (!target.Dependencies.IsEmpty)
            {
                relations.Add("depends on " + string.Join(", ", target.Dependencies));
            }

            if (!target.Triggers.IsEmpty)
            {
                relations.Add("triggers " + string.Join(", ", target.Triggers));
            }

            if (!target.Finally.IsEmpty)
            {
                relations.Add("cleanup " + string.Join(", ", target.Finally));
            }

            if (!target.Requirements.IsEmpty)
            {
                relations.Add("requires " + string.Join(", ", target.Requirements.Select(r => parameters.FirstOrDefault(p => p.Name == r)?.OptionName ?? r)));
            }

            if (!target.Conditions.IsEmpty)
            {
                relations.Add("only when " + string.Join("; ", target.Conditions.Select(c => c.Reason)));
            }

            foreach (var relation in relations)
            {
                text.Append("  ").Append(new string(' ', nameWidth)).Append("    ").Append(relation).Append('\n');
            }
        }

        if (parameters.Count > 0)
        {
            text.Append("\nParameters (also from SLIPWAY_NAME or NAME environment variables):\n");
            var rows = parameters.OrderBy(p => p.OptionName, StringComparer.Ordinal).Select(p => ((p.OptionName + " " + p.ValueHint).TrimEnd(), p)).ToList();
            var width = rows.Max(r => r.Item1.Length);
            foreach (var (left, parameter) in rows)
            {
                text.Append("  ").Append(left.PadRight(width)).Append("  ").Append(parameter.Description);
                if (parameter.IsSecret)
                {
                    text.Append(" (secret)");
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
