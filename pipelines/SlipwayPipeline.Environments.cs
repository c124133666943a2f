using Slipway.Environments;
using Slipway.Targets;

namespace Slipway.Build;

/// <summary>The environment matrix: selecting, showing and validating environments/*.yml.</summary>
public sealed partial class SlipwayPipeline
{
    private EnvironmentSelection? _environments;

    private string? _impliedEnvironment;

    [Parameter("Environment to work on: dev, staging or prod (a file in the environments directory); default dev, and DeployDev/DeployStaging imply theirs")]
    public string? Env { get; init; }

    /// <summary>The environment targets work on: --env, else the one a planned Deploy target implies, else dev.</summary>
    private string EnvironmentName => Env ?? _impliedEnvironment ?? "dev";

    [Parameter("Directory of the environment files, relative to the repository root")]
    public string EnvironmentsDirectory { get; init; } = "environments";

    private EnvironmentSelection Environments => _environments ??= new EnvironmentSelection(RootDirectory, EnvironmentsDirectory, Variables);

    public Target ShowEnvironment => _ => _
        .Describe("Print the resolved environment (--env NAME), secrets as references; each value's origin with --verbosity verbose")
        .Executes(ctx => ctx.Info(EnvironmentPrinter.Render(Environments.Current, withOrigins: ctx.IsVerbose).TrimEnd('\n')));

    public Target ValidateEnvironments => _ => _
        .Describe("Validate every environment file (all errors at once, exit 2 on any)")
        .Executes(ctx => ctx.Info($"Valid environments: {string.Join(", ", Environments.LoadAll().Valid)}"));

    public Target GenerateSchema => _ => _
        .Describe($"Regenerate {EnvironmentSchema.RelativePath} from the typed model")
        .Produces(EnvironmentSchema.RelativePath)
        .Executes(ctx => ctx.DoAsync($"write {EnvironmentSchema.RelativePath}", () =>
            File.WriteAllText(ctx.PathOf(EnvironmentSchema.RelativePath), EnvironmentSchema.Generate())));

    /// <summary>Targets that work on the --env environment; it is loaded and checked only when one is planned.</summary>
    /// <summary>Targets that fix the environment they work on.</summary>
    private Dictionary<string, string> ImpliedEnvironments => new(StringComparer.Ordinal)
    {
        [nameof(DeployDev)] = "dev",
        [nameof(DeployStaging)] = "staging",
        [nameof(DeployProd)] = "prod",
    };

    private string[] EnvironmentTargets => [nameof(DeployDev), nameof(DeployStaging), nameof(Rollback), nameof(ShowEnvironment), nameof(Build), nameof(Sbom), nameof(Scan), nameof(Publish), nameof(Sign), nameof(Verify), nameof(History), nameof(E2ESmoke), nameof(DeployProd), nameof(Canary), nameof(Promote), nameof(Abort), nameof(InfraPlan), nameof(InfraApply), nameof(HelmValues), nameof(HelmTemplate)];

    public override IReadOnlyList<string> Validate(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var planned = plan.Targets.Where(t => t.SkipReason is null).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var errors = new List<string>();
        var implying = ImpliedEnvironments.Where(i => planned.Contains(i.Key)).ToList();
        if (implying.Select(i => i.Value).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            return [$"{string.Join(" and ", implying.Select(i => i.Key))} deploy to different environments: run them one at a time."];
        }

        if (implying.Count == 1)
        {
            var (target, environment) = implying[0];
            if (Env is not null && Env != environment)
            {
                return [$"{target} deploys to {environment}, but --env says {Env}: drop --env (or use --env {environment})."];
            }

            _impliedEnvironment = environment;
        }

        if (planned.Overlaps(EnvironmentTargets))
        {
            var loadErrors = Environments.Load(EnvironmentName, Cancellation);
            errors.AddRange(loadErrors);
            if (loadErrors.Count == 0 && (planned.Contains(nameof(InfraPlan)) || planned.Contains(nameof(InfraApply))))
            {
                errors.AddRange(InfraErrors());
            }

            if (loadErrors.Count == 0 && planned.Overlaps(CanaryTargets) && Environments.Current.Canary is not { Steps.Count: > 0 })
            {
                errors.Add(NoCanaryPlan);
            }

            if (loadErrors.Count == 0)
            {
                errors.AddRange(ServiceFilterErrors(planned));
            }
        }

        if (planned.Contains(nameof(ValidateEnvironments)))
        {
            errors.AddRange(Environments.LoadAll(Cancellation).Errors.Except(errors));
        }

        return errors;
    }
}
