using Slipway.Targets;
using Spectre.Console;

namespace Slipway.Cli;

/// <summary><c>--tree</c>: what each requested target depends on, as a tree.</summary>
internal static class TreeRenderer
{
    /// <summary>Builds the tree of <paramref name="roots"/>' dependencies; repeated subtrees are shown once.</summary>
    public static Tree Render(TargetGraph graph, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(roots);
        var tree = new Tree(new Text("Targets")) { Guide = TreeGuide.Line };
        var shown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            Add(tree.AddNode(Label(graph, root)), graph, root, shown, []);
        }

        return tree;
    }

    private static void Add(TreeNode node, TargetGraph graph, string name, HashSet<string> shown, HashSet<string> path)
    {
        if (!shown.Add(name) || !path.Add(name))
        {
            return;
        }

        var spec = graph.ByName[name];
        foreach (var dependency in spec.Dependencies)
        {
            var child = graph.ByName[dependency].Name;
            if (shown.Contains(child))
            {
                node.AddNode(new Text($"{child} (see above)"));
            }
            else
            {
                Add(node.AddNode(Label(graph, child)), graph, child, shown, path);
            }
        }

        foreach (var triggered in spec.Triggers)
        {
            node.AddNode(new Text($"{graph.ByName[triggered].Name} (triggered after)"));
        }

        foreach (var cleanup in spec.Finally)
        {
            node.AddNode(new Text($"{graph.ByName[cleanup].Name} (cleanup)"));
        }

        path.Remove(name);
    }

    private static Text Label(TargetGraph graph, string name)
    {
        var spec = graph.ByName[name];
        return new Text(spec.Description is null ? spec.Name : $"{spec.Name} — {spec.Description}");
    }
}
