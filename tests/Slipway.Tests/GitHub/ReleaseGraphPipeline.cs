using Slipway.Targets;

namespace Slipway.Tests.GitHub;

/// <summary>
/// The shape of this repository's target graph, with the prod targets (DeployProd, Canary, Promote, Abort) that
/// land in parallel: what the workflow generator is tested on. Targets do nothing; only their relations matter.
/// </summary>
internal sealed class ReleaseGraphPipeline : Pipeline
{
    private const string Release = "artifacts/release.json";

    public Target Restore => _ => _;

    public Target UnitTest => _ => _.DependsOn(Restore);

    public Target Test => _ => _.DependsOn(UnitTest).Produces("artifacts/test-results");

    public Target Build => _ => _.DependsOn(Restore);

    public Target Sbom => _ => _.DependsOn(Build);

    public Target Scan => _ => _.DependsOn(Sbom);

    public Target Publish => _ => _.DependsOn(Build, Sbom, Scan).Produces(Release);

    public Target Sign => _ => _.After(Publish).Consumes(Release);

    public Target Verify => _ => _.After(Publish, Sign).Consumes(Release);

    public Target E2ESmoke => _ => _.DependsOn(Build);

    public Target DeployDev => _ => _.DependsOn(Publish, Verify).Consumes(Release);

    public Target DeployStaging => _ => _.DependsOn(Verify).After(Publish, Sign).Consumes(Release);

    public Target DeployProd => _ => _.DependsOn(Verify).After(Publish, Sign).Consumes(Release).Triggers(Canary);

    public Target Canary => _ => _.Triggers(Promote);

    public Target Promote => _ => _;

    public Target Abort => _ => _;

    public Target Rollback => _ => _;
}
