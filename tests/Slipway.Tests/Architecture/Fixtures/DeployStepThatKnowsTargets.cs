using Slipway.Targets;

namespace Slipway.Tests.Architecture.Fixtures.Delivery;

/// <summary>A deliberate layering break for <see cref="LayeringTests"/>: delivery code outside Components that uses a target's context.</summary>
public sealed class DeployStepThatKnowsTargets
{
    public static string Describe(TargetContext context) => context?.Target ?? "none";
}
