using Slipway.Environments;
using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>
/// The environment matrix (<c>environments/*.yml</c>): <c>--env</c>, the environment a planned deploy implies, loading and
/// checking it before anything runs (every error at once, exit 2), and the targets ShowEnvironment, ValidateEnvironments
/// and GenerateSchema. Targets that work on the environment declare it with <see cref="MatrixTargets.UsesEnvironment"/>.
/// </summary>
public interface IEnvironmentMatrix : IPipeline
{
    /// <summary>--env: the environment to work on.</summary>
    [Parameter("Environment to work on (a file in the environments directory); default dev, and DeployDev/DeployStaging/DeployProd imply theirs")]
    string? Env => TryGetValue(() => Env);

    /// <summary>Where the environment files are, relative to the root.</summary>
    [Parameter("Directory of the environment files, relative to the repository root")]
    string EnvironmentsDirectory => TryGetValue(() => EnvironmentsDirectory) ?? "environments";

    /// <summary>--service: narrows the targets that build one service at a time.</summary>
    [Parameter("Build, Sbom and Scan only this service of the environment (CI's per-service matrix); default every service", Name = "service")]
    string? OnlyService => TryGetValue(() => OnlyService);

    /// <summary>Hook: the environment when neither <c>--env</c> nor a planned target names one.</summary>
    string DefaultEnvironment => "dev";

    /// <summary>The environment targets work on: <c>--env</c>, else the one a planned target implies, else <see cref="DefaultEnvironment"/>.</summary>
    string EnvironmentName => Env ?? Matrix.Implied ?? DefaultEnvironment;

    /// <summary>The environment's file, for messages: <c>environments/dev.yml</c>.</summary>
    string EnvironmentFile => $"{EnvironmentsDirectory}/{EnvironmentName}.yml";

    /// <summary>Loads environments and resolves their secrets; the one loaded for this run is <see cref="CurrentEnvironment"/>.</summary>
    EnvironmentSelection Environments => Matrix.Selection ??= new EnvironmentSelection(RootDirectory, EnvironmentsDirectory, Variables);

    /// <summary>The environment of this run, loaded and checked before the first target ran.</summary>
    DeployEnvironment CurrentEnvironment => Environments.Current;

    /// <summary>The services of the environment, in name order.</summary>
    IEnumerable<Service> Services =>
        CurrentEnvironment.Services.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new Service(s.Key, s.Value));

    /// <summary>The services the per-service targets work on: <c>--service</c>, else all.</summary>
    IEnumerable<Service> SelectedServices => Services.Where(s => OnlyService is null || s.Name == OnlyService);

    /// <summary>Prints the resolved environment.</summary>
    Target ShowEnvironment => _ => _
        .Describe("Print the resolved environment (--env NAME), secrets as references; each value's origin with --verbosity verbose")
        .UsesEnvironment(this, EnvironmentUse.Reads)
        .Executes(ctx => ctx.Info(EnvironmentPrinter.Render(CurrentEnvironment, withOrigins: ctx.IsVerbose).TrimEnd('\n')));

    /// <summary>Loads every environment file and reports every error at once.</summary>
    Target ValidateEnvironments => _ => _
        .Describe("Validate every environment file (all errors at once, exit 2 on any)")
        .Validates(_ => Environments.LoadAll(Cancellation).Errors)
        .Executes(ctx => ctx.Info($"Valid environments: {string.Join(", ", Environments.LoadAll().Valid)}"));

    /// <summary>Regenerates the JSON schema of the environment files.</summary>
    Target GenerateSchema => _ => _
        .Describe($"Regenerate {EnvironmentSchema.RelativePath} from the typed model")
        .Produces(EnvironmentSchema.RelativePath)
        .Executes(ctx => ctx.DoAsync($"write {EnvironmentSchema.RelativePath}", () =>
            File.WriteAllText(ctx.PathOf(EnvironmentSchema.RelativePath), EnvironmentSchema.Generate())));

    /// <summary>
    /// Loads the environment the plan works on, once per plan: the environment a planned target implies (two that
    /// disagree, or one that contradicts <c>--env</c>, is an error), then <c>environments/&lt;name&gt;.yml</c> with its
    /// layers, then <c>--service</c> against its services. Returns every error.
    /// </summary>
    IReadOnlyList<string> LoadEnvironment(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var state = Matrix;
        if (ReferenceEquals(state.CheckedPlan, plan))
        {
            return state.Errors;
        }

        state.CheckedPlan = plan;
        state.Errors = CheckEnvironment(plan);
        return state.Errors;
    }

    private MatrixState Matrix => RunState(() => new MatrixState());

    private List<string> CheckEnvironment(Plan plan)
    {
        var planned = plan.Targets.Where(t => t.SkipReason is null).Select(t => t.Spec).ToList();
        var implying = planned.Where(t => t.Traits.ContainsKey(MatrixTargets.ImpliesTrait)).Select(t => (t.Name, Environment: t.Traits[MatrixTargets.ImpliesTrait])).ToList();
        if (implying.Select(i => i.Environment).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            return [$"{string.Join(" and ", implying.Select(i => i.Name))} deploy to different environments: run them one at a time."];
        }

        if (implying.Count > 0)
        {
            var (target, environment) = implying[0];
            if (Env is not null && Env != environment)
            {
                return [$"{target} deploys to {environment}, but --env says {Env}: drop --env (or use --env {environment})."];
            }

            Matrix.Implied = environment;
        }

        var errors = Environments.Load(EnvironmentName, Cancellation).ToList();
        if (errors.Count == 0 && OnlyService is { } only)
        {
            errors.AddRange(ServiceFilterErrors(only, plan, planned));
        }

        return errors;
    }

    /// <summary>--service must name a service of the environment, and only targets that build one service at a time take it.</summary>
    private List<string> ServiceFilterErrors(string only, Plan plan, List<TargetSpec> planned)
    {
        var errors = new List<string>();
        var names = Services.Select(s => s.Name).ToList();
        if (!names.Contains(only, StringComparer.Ordinal))
        {
            errors.Add($"--service {only}: {EnvironmentFile} has no such service.{NameSuggestions.DidYouMean(only, names)} Services: {string.Join(", ", names)}.");
        }

        string[] Using(EnvironmentUse use, IEnumerable<TargetSpec> targets) =>
            [.. targets.Where(t => t.Traits.TryGetValue(MatrixTargets.UsesTrait, out var value) && value == use.ToString()).Select(t => t.Name)];
        var wholeRelease = Using(EnvironmentUse.WholeRelease, planned).Order(StringComparer.Ordinal).ToList();
        if (wholeRelease.Count > 0)
        {
            var perService = Using(EnvironmentUse.PerService, plan.Graph.Targets);
            errors.Add($"--service {only} narrows {string.Join(", ", perService)} to one service, but {string.Join(", ", wholeRelease)} work on every service of a release: drop --service, or run only {string.Join(", ", perService)}.");
        }

        return errors;
    }
}

/// <summary>A service of the environment, with its name.</summary>
/// <param name="Name">Its name in the matrix (and the Compose service).</param>
/// <param name="Definition">How the environment runs it.</param>
public sealed record Service(string Name, ServiceDefinition Definition);

/// <summary>What the matrix keeps for one run.</summary>
internal sealed class MatrixState
{
    public EnvironmentSelection? Selection { get; set; }

    public string? Implied { get; set; }

    public Plan? CheckedPlan { get; set; }

    public IReadOnlyList<string> Errors { get; set; } = [];
}
