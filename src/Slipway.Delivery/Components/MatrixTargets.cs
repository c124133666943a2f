using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>How a target uses the environment, for the checks before anything runs.</summary>
public enum EnvironmentUse
{
    /// <summary>Works on every service of a release (Publish, the deploys): <c>--service</c> is refused.</summary>
    WholeRelease,

    /// <summary>Works on one service at a time (Build, Sbom, Scan): <c>--service</c> narrows it.</summary>
    PerService,

    /// <summary>Only reads the environment (ShowEnvironment).</summary>
    Reads,
}

/// <summary>Declares what a target needs of the environment matrix.</summary>
public static class MatrixTargets
{
    /// <summary>The trait of a target that works on the environment; its value is an <see cref="EnvironmentUse"/>.</summary>
    public const string UsesTrait = "slipway.environment";

    /// <summary>The trait of a target that fixes the environment it works on; its value is the environment.</summary>
    public const string ImpliesTrait = "slipway.implies-environment";

    /// <summary>
    /// The target works on the environment: it is loaded and checked (with every other check of
    /// <paramref name="whenLoaded"/>) before anything runs, and only when such a target is planned, so a broken
    /// prod.yml does not block Test.
    /// </summary>
    public static TargetDefinition UsesEnvironment(this TargetDefinition target, IEnvironmentMatrix matrix, EnvironmentUse use = EnvironmentUse.WholeRelease, Func<IEnumerable<string>>? whenLoaded = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(matrix);
        return target
            .WithTrait(UsesTrait, use.ToString())
            .Validates(plan => matrix.LoadEnvironment(plan) is { Count: > 0 } errors ? errors : whenLoaded?.Invoke() ?? []);
    }

    /// <summary>The target deploys to <paramref name="environment"/>: planning it selects that environment (and contradicting <c>--env</c> is an error).</summary>
    public static TargetDefinition ImpliesEnvironment(this TargetDefinition target, IEnvironmentMatrix matrix, string environment)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.WithTrait(ImpliesTrait, environment).UsesEnvironment(matrix);
    }
}
