using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Tests.Targets;

public sealed class ParameterBindingTests
{
    public enum Flavor
    {
        Vanilla,
        Chocolate,
    }

    private sealed class ParameterPipeline : Pipeline
    {
        [Parameter("A name")]
        public string Name { get; init; } = "default-name";

        [Parameter("Push images")]
        public bool Push { get; init; }

        [Parameter("Replica count")]
        public int Replicas { get; init; } = 1;

        [Parameter("Flavour")]
        public Flavor Flavor { get; init; } = Flavor.Vanilla;

        [Parameter("Output path")]
        public FileInfo? Output { get; init; }

        [Parameter("Services")]
        public string[] Services { get; init; } = [];

        [Parameter("Lock wait")]
        public TimeSpan LockWait { get; init; } = TimeSpan.FromMinutes(1);

        [Secret("API token")]
        public Secret? ApiToken { get; init; }

        public Target Noop => _ => _;
    }

    private static (ParameterPipeline Pipeline, IReadOnlyList<string> Errors) Bind(string[] args, Dictionary<string, string>? environment = null)
    {
        var pipeline = new ParameterPipeline();
        var parameters = Pipeline.DiscoverParameters(typeof(ParameterPipeline));
        var (options, usage) = CommandLineParser.Parse(args, parameters);
        if (options is null)
        {
            return (pipeline, usage);
        }

        return (pipeline, ParameterBinder.Bind(pipeline, parameters, options.Parameters, environment ?? []));
    }

    [Fact]
    public void Defaults_stand_when_nothing_is_given()
    {
        var (pipeline, errors) = Bind([]);

        Assert.Empty(errors);
        Assert.Equal("default-name", pipeline.Name);
        Assert.Equal(1, pipeline.Replicas);
        Assert.Equal(TimeSpan.FromMinutes(1), pipeline.LockWait);
    }

    [Fact]
    public void Every_supported_type_binds_from_the_command_line()
    {
        var (pipeline, errors) = Bind(["--name", "n", "--push", "--replicas", "3", "--flavor", "chocolate", "--output", "out.json", "--services", "api", "--services", "worker,proxy", "--lock-wait", "1h30m", "--api-token", "tok-1a2b3c"]);

        Assert.Empty(errors);
        Assert.Equal("n", pipeline.Name);
        Assert.True(pipeline.Push);
        Assert.Equal(3, pipeline.Replicas);
        Assert.Equal(Flavor.Chocolate, pipeline.Flavor);
        Assert.Equal("out.json", pipeline.Output!.Name);
        Assert.Equal(["api", "worker", "proxy"], pipeline.Services);
        Assert.Equal(TimeSpan.FromMinutes(90), pipeline.LockWait);
        Assert.Equal("tok-1a2b3c", pipeline.ApiToken!.Reveal());
        Assert.Equal("***", pipeline.ApiToken.ToString());
    }

    [Fact]
    public void A_flag_takes_an_explicit_false() =>
        Assert.False(Bind(["--push", "false"]).Pipeline.Push);

    [Fact]
    public void An_empty_environment_variable_counts_as_unset_so_the_next_one_or_the_default_applies()
    {
        // CI passes an optional workflow input (Rollback's version) as SLIPWAY_TO, empty when not given.
        Assert.Equal("default-name", Bind([], new() { ["SLIPWAY_NAME"] = "" }).Pipeline.Name);
        Assert.Equal("from-name", Bind([], new() { ["SLIPWAY_NAME"] = "", ["NAME"] = "from-name" }).Pipeline.Name);
        Assert.Empty(Bind([], new() { ["SLIPWAY_REPLICAS"] = "" }).Errors);
    }

    [Fact]
    public void Environment_variables_bind_with_SLIPWAY_prefix_winning_and_the_command_line_winning_over_both()
    {
        Assert.Equal(5, Bind([], new() { ["REPLICAS"] = "4", ["SLIPWAY_REPLICAS"] = "5" }).Pipeline.Replicas);
        Assert.Equal(4, Bind([], new() { ["REPLICAS"] = "4" }).Pipeline.Replicas);
        Assert.Equal(6, Bind(["--replicas", "6"], new() { ["SLIPWAY_REPLICAS"] = "5" }).Pipeline.Replicas);
        Assert.Equal("env-token-4d5e6f", Bind([], new() { ["SLIPWAY_API_TOKEN"] = "env-token-4d5e6f" }).Pipeline.ApiToken!.Reveal());
    }

    [Theory]
    [InlineData("--replicas", "three", "--replicas: 'three' is not valid. Expected a whole number, e.g. 4.")]
    [InlineData("--push", "maybe", "--push: 'maybe' is not valid. Expected true or false (the flag alone means true).")]
    [InlineData("--flavor", "mint", "--flavor: 'mint' is not valid. Expected one of: vanilla, chocolate.")]
    [InlineData("--lock-wait", "soon", "--lock-wait: 'soon' is not valid. Expected a duration from 0s to 24d, e.g. 90s, 5m, 1h30m.")]
    public void A_bad_value_names_the_parameter_the_value_and_the_accepted_forms(string option, string value, string expected) =>
        Assert.Equal([expected], Bind([option, value]).Errors);

    [Fact]
    public void A_bad_environment_value_names_its_variable() =>
        Assert.Equal(["--replicas (from $SLIPWAY_REPLICAS): 'x' is not valid. Expected a whole number, e.g. 4."], Bind([], new() { ["SLIPWAY_REPLICAS"] = "x" }).Errors);

    [Fact]
    public void An_unknown_option_gets_did_you_mean() =>
        Assert.Equal(["Unknown option '--replica'. Did you mean '--replicas'? Run --help for the list of options."], Bind(["--replica", "2"]).Errors.Take(1));

    [Fact]
    public void Names_are_kebab_case_and_variables_upper_snake_case()
    {
        var parameter = Pipeline.DiscoverParameters(typeof(ParameterPipeline)).Single(p => p.Name == "LockWait");

        Assert.Equal("--lock-wait", parameter.OptionName);
        Assert.Equal(["SLIPWAY_LOCK_WAIT", "LOCK_WAIT"], parameter.EnvironmentVariables);
    }
}
