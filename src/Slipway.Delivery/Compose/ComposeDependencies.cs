using System.Text.Json;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Which services each Compose service waits for (<c>depends_on</c>), read from the resolved model that
/// <c>docker compose config --format json</c> prints. Compose writes <c>depends_on</c> in its long form (a map of service
/// to condition); the short form (a list of names) is read too, as a hand-written model may use it.
/// </summary>
internal sealed class ComposeDependencies
{
    private readonly Dictionary<string, IReadOnlySet<string>> _direct;

    private ComposeDependencies(Dictionary<string, IReadOnlySet<string>> direct) => _direct = direct;

    /// <summary>Reads the <c>depends_on</c> of every service in <paramref name="json"/>.</summary>
    /// <exception cref="FormatException">The text is not a resolved Compose model (no <c>services</c> map, a malformed <c>depends_on</c>).</exception>
    public static ComposeDependencies Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        const string What = "docker compose config --format json printed something that is not a resolved Compose model";
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("services", out var services)
                || services.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{What}: it has no 'services' map");
            }

            var direct = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
            foreach (var service in services.EnumerateObject())
            {
                var waitsFor = new HashSet<string>(StringComparer.Ordinal);
                if (service.Value.ValueKind == JsonValueKind.Object && service.Value.TryGetProperty("depends_on", out var dependsOn))
                {
                    switch (dependsOn.ValueKind)
                    {
                        case JsonValueKind.Object:
                            waitsFor.UnionWith(dependsOn.EnumerateObject().Select(d => d.Name));
                            break;
                        case JsonValueKind.Array when dependsOn.EnumerateArray().All(d => d.ValueKind == JsonValueKind.String):
                            waitsFor.UnionWith(dependsOn.EnumerateArray().Select(d => d.GetString()!));
                            break;
                        case JsonValueKind.Null:
                            break;
                        default:
                            throw new FormatException($"{What}: services.{service.Name}.depends_on is a {dependsOn.ValueKind}, expected a map or a list of service names");
                    }
                }

                direct[service.Name] = waitsFor;
            }

            return new ComposeDependencies(direct);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{What}: {e.Message}", e);
        }
    }

    /// <summary>The services <paramref name="service"/> names in its own <c>depends_on</c>.</summary>
    public IReadOnlySet<string> DirectOf(string service) => _direct.GetValueOrDefault(service) ?? new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Every service <paramref name="service"/> waits for, directly or through others (never itself).</summary>
    public IReadOnlySet<string> AllOf(string service)
    {
        var reachable = Reachable(service);
        reachable.Remove(service);
        return reachable;
    }

    private HashSet<string> Reachable(string service)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var next = new Queue<string>(DirectOf(service));
        while (next.TryDequeue(out var current))
        {
            if (seen.Add(current))
            {
                foreach (var further in DirectOf(current))
                {
                    next.Enqueue(further);
                }
            }
        }

        return seen;
    }

    /// <summary>
    /// <paramref name="services"/> in an order where each comes after those of them it waits for (directly or through
    /// others), otherwise as given; each with those of them it waits for, in that order.
    /// </summary>
    /// <exception cref="FormatException">Some of them wait for each other (Compose itself refuses such a model).</exception>
    public IReadOnlyList<ComposeStart> Order(IReadOnlyList<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.FirstOrDefault(s => Reachable(s).Contains(s)) is { } cyclic)
        {
            throw new FormatException($"the Compose model's depends_on forms a cycle through '{cyclic}'");
        }

        var waits = services.ToDictionary(s => s, AllOf, StringComparer.Ordinal);
        var ordered = new List<ComposeStart>();
        var left = services.ToList();
        while (left.Count > 0)
        {
            // No cycle among them: some service left waits only for services already ordered.
            var ready = left.First(s => waits[s].Where(services.Contains).All(w => ordered.Any(o => o.Service == w)));
            ordered.Add(new ComposeStart(ready, [.. ordered.Select(o => o.Service).Where(waits[ready].Contains)]));
            left.Remove(ready);
        }

        return ordered;
    }
}

/// <summary>A service of a rollout, and those of the rolled-out services it waits for before it starts (depends_on).</summary>
internal sealed record ComposeStart(string Service, IReadOnlyList<string> After);
