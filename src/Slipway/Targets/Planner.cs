using System.Collections.Immutable;

namespace Slipway.Targets;

/// <summary>
/// Turns a target graph and a request into an ordered plan, or reports every problem — unknown
/// targets, missing dependencies, cycles with their path, unmet requirements — before anything runs.
/// Pure: no I/O, no clock, no side effect.
/// </summary>
internal static class Planner
{
    /// <summary>Plans <paramref name="request"/> against <paramref name="graph"/>.</summary>
    /// <param name="graph">The pipeline's targets.</param>
    /// <param name="request">What to run.</param>
    /// <param name="parameters">The pipeline's parameters, for Requires checks and messages.</param>
    /// <param name="hasValue">Whether a parameter (by property name) has a value.</param>
    public static PlanResult Plan(
        TargetGraph graph,
        PlanRequest request,
        IReadOnlyList<ParameterDescriptor> parameters,
        Func<string, bool> hasValue)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(hasValue);
        var errors = new List<string>();

        var requested = ResolveNames(graph, request.Targets.Count > 0 ? request.Targets : graph.DefaultTarget is { } d ? [d] : [], "target", errors);
        var skipped = ResolveNames(graph, request.Skip, "--skip target", errors).ToHashSet(StringComparer.Ordinal);
        if (request.Targets.Count == 0 && graph.DefaultTarget is null)
        {
            errors.Add("No target given and the pipeline has no default target: pass --target NAME. " + AvailableTargets(graph));
        }

        errors.AddRange(MissingReferences(graph));
        errors.AddRange(DependencyCycles(graph));
        if (errors.Count > 0)
        {
            return new PlanResult(null, [.. errors]);
        }

        var reasons = Select(graph, requested, request.Exclusive, out var finallyOwners, out var triggeredBy);
        var ordered = Order(graph, reasons, triggeredBy, finallyOwners, errors);
        if (errors.Count > 0)
        {
            return new PlanResult(null, [.. errors]);
        }

        var planned = ImmutableArray.CreateBuilder<PlannedTarget>(ordered.Count);
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (spec, waitFor, index) in ordered.Select((o, i) => (o.Spec, o.WaitFor, i)))
        {
            var skipReason = skipped.Contains(spec.Name) ? "skipped by --skip" : null;
            if (skipReason is null)
            {
                CheckRequirements(spec, byName, hasValue, errors);
            }

            var mustSucceed = spec.Dependencies.Where(reasons.ContainsKey)
                .Concat(triggeredBy.TryGetValue(spec.Name, out var triggers) ? triggers : [])
                .Distinct(StringComparer.Ordinal);
            planned.Add(new PlannedTarget(
                spec,
                index,
                waitFor,
                [.. mustSucceed],
                finallyOwners.TryGetValue(spec.Name, out var owners) ? [.. owners] : [],
                reasons[spec.Name],
                skipReason));
        }

        return errors.Count > 0
            ? new PlanResult(null, [.. errors])
            : new PlanResult(new Plan(graph, planned.MoveToImmutable(), [.. requested]), []);
    }

    /// <summary>"Available targets are: A, B, C."</summary>
    public static string AvailableTargets(TargetGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return "Available targets are: " + string.Join(", ", graph.Targets.Select(t => t.Name)) + ".";
    }

    private static List<string> ResolveNames(TargetGraph graph, IReadOnlyList<string> names, string what, List<string> errors)
    {
        var resolved = new List<string>();
        foreach (var name in names)
        {
            if (graph.ByName.TryGetValue(name, out var spec))
            {
                if (!resolved.Contains(spec.Name, StringComparer.Ordinal))
                {
                    resolved.Add(spec.Name);
                }
            }
            else
            {
                errors.Add($"Unknown {what} '{name}'.{NameSuggestions.DidYouMean(name, graph.Targets.Select(t => t.Name))} {AvailableTargets(graph)}");
            }
        }

        return resolved;
    }

    private static IEnumerable<string> MissingReferences(TargetGraph graph)
    {
        var names = graph.Targets.Select(t => t.Name).ToList();
        foreach (var target in graph.Targets)
        {
            foreach (var (kind, reference) in References(target))
            {
                if (!graph.ByName.ContainsKey(reference))
                {
                    yield return $"Target '{target.Name}' {kind} '{reference}', which does not exist.{NameSuggestions.DidYouMean(reference, names)}";
                }
            }
        }
    }

    private static IEnumerable<(string Kind, string Name)> References(TargetSpec target) =>
        target.Dependencies.Select(d => ("depends on", d))
            .Concat(target.After.Select(d => ("runs after", d)))
            .Concat(target.Before.Select(d => ("runs before", d)))
            .Concat(target.Triggers.Select(d => ("triggers", d)))
            .Concat(target.Finally.Select(d => ("has cleanup", d)));

    /// <summary>Cycles through dependencies and triggers, each reported once with its path.</summary>
    private static List<string> DependencyCycles(TargetGraph graph)
    {
        // Edges point from a target to what must come before it: its dependencies, and its triggerers.
        var before = graph.Targets.ToDictionary(t => t.Name, t => t.Dependencies.Where(graph.ByName.ContainsKey).Select(d => graph.ByName[d].Name).ToList(), StringComparer.Ordinal);
        foreach (var target in graph.Targets)
        {
            foreach (var triggered in target.Triggers.Where(graph.ByName.ContainsKey))
            {
                before[graph.ByName[triggered].Name].Add(target.Name);
            }
        }

        return FindCycles(graph.Targets.Select(t => t.Name), n => before[n]);
    }

    private static List<string> FindCycles(IEnumerable<string> nodes, Func<string, IEnumerable<string>> edges)
    {
        var cycles = new List<string>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the stack, 2 = done
        var stack = new List<string>();
        var reported = new HashSet<string>(StringComparer.Ordinal);

        foreach (var start in nodes)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            // Iterative depth-first search, so 2,000-deep chains do not overflow the stack.
            var frames = new Stack<(string Node, IEnumerator<string> Next)>();
            frames.Push((start, edges(start).GetEnumerator()));
            state[start] = 1;
            stack.Add(start);
            while (frames.Count > 0)
            {
                var (node, next) = frames.Peek();
                if (next.MoveNext())
                {
                    var child = next.Current;
                    if (!state.TryGetValue(child, out var childState))
                    {
                        state[child] = 1;
                        stack.Add(child);
                        frames.Push((child, edges(child).GetEnumerator()));
                    }
                    else if (childState == 1)
                    {
                        // A back edge: the cycle is the stack from child to node. Printed in running
                        // order, so "Build -> Publish -> Build" reads as "Build needs Publish needs Build".
                        var cycle = stack.Skip(stack.IndexOf(child)).Append(child).ToList();
                        var key = string.Join(",", cycle.Skip(1).Order(StringComparer.Ordinal));
                        if (reported.Add(key))
                        {
                            cycles.Add($"Dependency cycle: {string.Join(" -> ", cycle)}. Remove one of these dependencies.");
                        }
                    }
                }
                else
                {
                    next.Dispose();
                    frames.Pop();
                    state[node] = 2;
                    stack.RemoveAt(stack.Count - 1);
                }
            }
        }

        return cycles;
    }

    private static Dictionary<string, string> Select(
        TargetGraph graph,
        IReadOnlyList<string> requested,
        bool exclusive,
        out Dictionary<string, List<string>> finallyOwners,
        out Dictionary<string, List<string>> triggeredBy)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        finallyOwners = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        triggeredBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var queue = new Queue<string>();

        void Include(string name, string reason)
        {
            if (reasons.TryAdd(name, reason))
            {
                queue.Enqueue(name);
            }
        }

        foreach (var name in requested)
        {
            Include(name, "requested");
        }

        while (queue.Count > 0)
        {
            var spec = graph.ByName[queue.Dequeue()];
            if (!exclusive)
            {
                foreach (var dependency in spec.Dependencies)
                {
                    Include(graph.ByName[dependency].Name, $"dependency of {spec.Name}");
                }

                foreach (var triggered in spec.Triggers.Select(t => graph.ByName[t].Name))
                {
                    Include(triggered, $"triggered by {spec.Name}");
                    Append(triggeredBy, triggered, spec.Name);
                }
            }

            // Cleanup belongs to its owner even with --exclusive: whatever starts must be cleaned up.
            foreach (var cleanup in spec.Finally.Select(t => graph.ByName[t].Name))
            {
                Include(cleanup, $"cleanup after {spec.Name}");
                Append(finallyOwners, cleanup, spec.Name);
            }
        }

        return reasons;
    }

    private static HashSet<string> TransitiveDependencies(TargetGraph graph, string name)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(graph.ByName[name].Dependencies);
        while (pending.TryPop(out var next))
        {
            if (found.Add(graph.ByName[next].Name))
            {
                foreach (var dependency in graph.ByName[next].Dependencies)
                {
                    pending.Push(dependency);
                }
            }
        }

        return found;
    }

    private static List<(TargetSpec Spec, ImmutableArray<string> WaitFor)> Order(
        TargetGraph graph,
        Dictionary<string, string> included,
        Dictionary<string, List<string>> triggeredBy,
        Dictionary<string, List<string>> finallyOwners,
        List<string> errors)
    {
        var waitFor = included.Keys.ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        void Edge(string first, string then)
        {
            var a = graph.ByName[first].Name;
            var b = graph.ByName[then].Name;
            if (included.ContainsKey(a) && included.ContainsKey(b) && a != b)
            {
                waitFor[b].Add(a);
            }
        }

        foreach (var name in included.Keys)
        {
            var spec = graph.ByName[name];
            foreach (var d in spec.Dependencies)
            {
                Edge(d, name);
            }

            foreach (var a in spec.After)
            {
                Edge(a, name);
            }

            foreach (var b in spec.Before)
            {
                Edge(name, b);
            }
        }

        foreach (var (target, sources) in triggeredBy.Concat(finallyOwners))
        {
            foreach (var source in sources)
            {
                Edge(source, target);
            }
        }

        // A gate goes before everything it does not need itself; two gates keep their own order.
        foreach (var gate in included.Keys.Where(n => graph.ByName[n].RunsFirst))
        {
            var needed = TransitiveDependencies(graph, gate);
            foreach (var other in included.Keys.Where(n => !needed.Contains(n) && !graph.ByName[n].RunsFirst))
            {
                Edge(gate, other);
            }
        }

        // Kahn's algorithm; among ready targets, declaration order decides, so plans are stable.
        var remaining = waitFor.ToDictionary(w => w.Key, w => w.Value.Count, StringComparer.Ordinal);
        var dependents = included.Keys.ToDictionary(n => n, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var (name, preds) in waitFor)
        {
            foreach (var pred in preds)
            {
                dependents[pred].Add(name);
            }
        }

        var ready = new PriorityQueue<string, int>();
        foreach (var (name, count) in remaining)
        {
            if (count == 0)
            {
                ready.Enqueue(name, graph.ByName[name].Index);
            }
        }

        var ordered = new List<(TargetSpec, ImmutableArray<string>)>(included.Count);
        while (ready.TryDequeue(out var name, out _))
        {
            var spec = graph.ByName[name];
            ordered.Add((spec, [.. waitFor[name].OrderBy(n => graph.ByName[n].Index)]));
            foreach (var dependent in dependents[name])
            {
                if (--remaining[dependent] == 0)
                {
                    ready.Enqueue(dependent, graph.ByName[dependent].Index);
                }
            }
        }

        if (ordered.Count < included.Count)
        {
            // Only ordering constraints (After/Before) can close a cycle here; dependency cycles were caught earlier.
            var stuck = remaining.Where(r => r.Value > 0).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            var cycles = FindCycles(stuck.OrderBy(n => graph.ByName[n].Index), n => waitFor[n].Where(stuck.Contains));
            errors.AddRange(cycles.Select(c => c.Replace("Dependency cycle", "Ordering cycle (After/Before)", StringComparison.Ordinal)));
        }

        return ordered;
    }

    private static void CheckRequirements(TargetSpec spec, Dictionary<string, ParameterDescriptor> parameters, Func<string, bool> hasValue, List<string> errors)
    {
        foreach (var requirement in spec.Requirements)
        {
            if (!parameters.TryGetValue(requirement, out var parameter))
            {
                errors.Add($"Target '{spec.Name}' requires '{requirement}', which is not a [Parameter] or [Secret] of the pipeline.");
            }
            else if (!hasValue(requirement))
            {
                errors.Add($"Target '{spec.Name}' requires {parameter.OptionName}: pass {parameter.OptionName} {(parameter.IsSecret ? "<secret>" : "<value>")} or set {string.Join(" or ", parameter.EnvironmentVariables)} ({parameter.Description}).");
            }
        }
    }

    private static void Append(Dictionary<string, List<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        if (!list.Contains(value, StringComparer.Ordinal))
        {
            list.Add(value);
        }
    }
}
