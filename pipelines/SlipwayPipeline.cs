using Slipway.Delivery.Components;
using Slipway.Targets;

namespace Slipway.Build;

/// <summary>
/// This repository's pipeline: Slipway's own delivery components (the packages in src/), plus what only this repository
/// has: the sample stack's end-to-end checks (SlipwayPipeline.E2E.cs). Its test projects, workflow lanes and deploys
/// follow the components' conventions.
/// </summary>
public sealed partial class SlipwayPipeline : Pipeline,
    IMachine, IDotNetTests, ISupplyChain, ICanary, IBackupRestore, IE2ESmoke, IHelmChart, IInfra, IGitHubWorkflows, IGitHubReleases, IPack
{
    public override string Title => "Slipway";

    protected override Target DefaultTarget => ((IDotNetTests)this).Test;
}
