using Slipway.Delivery.Components;
using Slipway.Targets;

namespace SlipwayApp.Build;

/// <summary>
/// SlipwayApp's pipeline: Slipway's delivery components, configured by environments/*.yml. `./build.sh --help` lists the
/// targets. Add a target as a property (public Target Lint => _ => _.Executes(...)); replace a component's target with
/// a property of the same name; change a convention with a matrix key, or a hook below.
/// </summary>
public sealed class SlipwayAppPipeline : Pipeline,
    IMachine, IDotNetTests, ISupplyChain, ICanary, IE2ESmoke, IHelmChart, IGitHubWorkflows, IGitHubReleases
{
    public override string Title => "SlipwayApp";

    protected override Target DefaultTarget => ((IDelivery)this).DeployDev;

    /// <summary>The smoke-check hook: what E2ESmoke checks through the proxy once the throwaway stack is up.</summary>
    public IEnumerable<SmokeCheck> SmokeChecks(SmokeCheckContext stack) => [((IE2ESmoke)this).ReadyCheck(stack)];
}
