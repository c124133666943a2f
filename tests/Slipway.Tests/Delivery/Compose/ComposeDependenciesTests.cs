using Slipway.Delivery.Compose;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>Reading <c>depends_on</c> from the model <c>docker compose config --format json</c> prints, and ordering by it.</summary>
public sealed class ComposeDependenciesTests
{
    // The shape Compose 2.26 prints (the integration tests hold it to the real binary): the long form, with conditions.
    private const string Stack = """
        {
          "name": "slipway-dev",
          "services": {
            "api": { "image": "api", "depends_on": { "postgres": { "condition": "service_healthy", "required": true }, "redis": { "condition": "service_healthy", "required": true } } },
            "worker": { "image": "worker", "depends_on": { "postgres": { "condition": "service_healthy", "required": true } } },
            "proxy": { "image": "haproxy", "depends_on": { "api": { "condition": "service_healthy", "required": true } } },
            "edge": { "image": "edge", "depends_on": ["proxy"] },
            "postgres": { "image": "postgres" },
            "redis": { "image": "redis", "depends_on": null }
          }
        }
        """;

    [Fact]
    public void The_long_and_the_short_form_name_the_services_waited_for()
    {
        var dependencies = ComposeDependencies.Parse(Stack);

        Assert.Equal(["postgres", "redis"], dependencies.DirectOf("api").Order(StringComparer.Ordinal));
        Assert.Equal(["proxy"], dependencies.DirectOf("edge"));
        Assert.Empty(dependencies.DirectOf("postgres"));
        Assert.Empty(dependencies.DirectOf("redis"));
        Assert.Empty(dependencies.DirectOf("not-in-the-model"));
    }

    [Fact]
    public void A_service_waits_for_those_its_dependencies_wait_for()
    {
        var dependencies = ComposeDependencies.Parse(Stack);

        Assert.Equal(["api", "postgres", "proxy", "redis"], dependencies.AllOf("edge").Order(StringComparer.Ordinal));
        Assert.DoesNotContain("worker", dependencies.AllOf("edge"));
    }

    private static readonly IEqualityComparer<ComposeStart> StartComparer = EqualityComparer<ComposeStart>.Create(
        (a, b) => a!.Service == b!.Service && a.After.SequenceEqual(b.After),
        s => s.Service.GetHashCode(StringComparison.Ordinal));

    [Fact]
    public void The_order_puts_each_service_after_those_it_waits_for_and_keeps_the_given_order_otherwise()
    {
        var dependencies = ComposeDependencies.Parse(Stack);

        Assert.Equal(
            [new ComposeStart("api", []), new ComposeStart("edge", ["api"]), new ComposeStart("worker", [])],
            dependencies.Order(["edge", "api", "worker"]),
            StartComparer);
        Assert.Equal(["worker", "api"], dependencies.Order(["worker", "api"]).Select(s => s.Service));
        // edge waits for api through the proxy, which is not among them.
        Assert.Equal([new ComposeStart("api", []), new ComposeStart("edge", ["api"])], dependencies.Order(["edge", "api"]), StartComparer);
        Assert.Equal([new ComposeStart("edge", [])], dependencies.Order(["edge"]), StartComparer);
    }

    [Fact]
    public void A_cycle_is_refused_with_a_service_on_it()
    {
        var dependencies = ComposeDependencies.Parse("""{ "services": { "a": { "depends_on": ["b"] }, "b": { "depends_on": { "a": {} } }, "c": {} } }""");

        var refused = Assert.Throws<FormatException>(() => dependencies.Order(["c", "a", "b"]));

        Assert.Contains("depends_on forms a cycle through 'a'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["c"], dependencies.Order(["c"]).Select(s => s.Service));
    }

    [Theory]
    [InlineData("", "is not a resolved Compose model")]
    [InlineData("name: slipway-dev\nservices: {}\n", "is not a resolved Compose model")]
    [InlineData("""["api"]""", "it has no 'services' map")]
    [InlineData("""{ "services": ["api"] }""", "it has no 'services' map")]
    [InlineData("""{ "services": { "api": { "depends_on": "postgres" } } }""", "services.api.depends_on is a String, expected a map or a list of service names")]
    [InlineData("""{ "services": { "api": { "depends_on": [1] } } }""", "services.api.depends_on is a Array, expected")]
    public void Output_that_is_not_a_resolved_model_is_a_format_error_that_says_why(string output, string why)
    {
        var refused = Assert.Throws<FormatException>(() => ComposeDependencies.Parse(output));

        Assert.StartsWith("docker compose config --format json printed something that is not a resolved Compose model", refused.Message, StringComparison.Ordinal);
        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
    }
}
