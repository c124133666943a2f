using Slipway.Targets;

namespace Slipway.Build;

/// <summary>
/// This repository's pipeline. It is split by concern into partial files: continuous integration
/// (SlipwayPipeline.Ci.cs) now; release, deploy and infrastructure as they land.
/// </summary>
public sealed partial class SlipwayPipeline : Pipeline
{
    [Parameter("Build configuration")]
    public Configuration Configuration { get; init; } = Configuration.Release;

    [Parameter("Set by CI systems; restores in locked mode when true")]
    public bool Ci { get; init; }

    public override string Title => "Slipway";

    protected override Target DefaultTarget => Test;
}

/// <summary>The .NET build configuration.</summary>
public enum Configuration
{
    Debug,
    Release,
}
