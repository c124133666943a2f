using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class RealEnvironmentTests
{
    private static readonly Dictionary<string, string> NoVariables = [];

    [Fact]
    public void I_can_load_every_committed_environment_without_errors()
    {
        var results = new EnvironmentLoader(RepositoryRoot.Path).LoadAll("environments", NoVariables);

        Assert.Equal(["dev", "prod", "staging"], results.Select(r => r.Name));
        foreach (var result in results)
        {
            Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        }
    }

    [Fact]
    public void Prod_is_a_signed_helm_canary_with_real_durations()
    {
        var prod = Load("prod");

        Assert.True(prod.IsProduction);
        Assert.Equal(DeliveryDriver.Helm, prod.Delivery.Driver);
        Assert.Null(prod.Delivery.Compose);
        Assert.Equal("slipway", prod.Delivery.Helm!.Namespace);
        Assert.Equal([10, 50], prod.Canary!.Steps.Select(s => s.Weight));
        Assert.All(prod.Canary.Steps, s => Assert.Equal(TimeSpan.FromMinutes(30), s.Duration.Value));
        Assert.True(prod.Data.Postgres!.Backup.BeforeDeploy);
        Assert.True(prod.SupplyChain.RequireSignature && prod.SupplyChain.RequireSbom && prod.SupplyChain.RequireScan);
        Assert.Equal(SigningMode.Keyless, prod.SupplyChain.Signing!.Mode);
        Assert.Equal("https://token.actions.githubusercontent.com", prod.SupplyChain.Signing.Issuer);
        Assert.Equal(4, prod.Services["api"].Replicas);
        Assert.Equal(ByteSize.Parse("2Gi"), prod.Services["api"].Resources.Limits!.Memory);
        Assert.Equal("env:PROD_POSTGRES_CONNECTION", prod.Services["api"].Secrets["ConnectionStrings__Postgres"].ToString());
    }

    [Fact]
    public void Dev_inherits_from_base_and_names_its_compose_project_after_itself()
    {
        var dev = Load("dev");

        Assert.Equal(["environments/base.yml", "environments/dev.yml"], dev.Layers);
        Assert.Equal(TriggerEvent.PullRequest, dev.Trigger.On);
        Assert.Equal("slipway-dev", dev.Delivery.Compose!.Project);
        Assert.Equal("127.0.0.1:5000", dev.Registry.Address);
        Assert.Equal(["api", "worker"], dev.Services.Keys);
        Assert.Equal(1, dev.Services["api"].Replicas);
        Assert.True(dev.Services["api"].FeatureFlags["new_checkout"]);
        Assert.True(dev.Services["api"].FeatureFlags["audit_log"]);
        Assert.Equal(DataMode.EphemeralSeeded, dev.Data.Mode);
        Assert.Equal(".slipway/state/dev", dev.StateDirectory);
    }

    [Fact]
    public void Staging_deploys_main_on_masked_data_with_compose()
    {
        var staging = Load("staging");

        Assert.Equal(TriggerEvent.Branch, staging.Trigger.On);
        Assert.Equal("main", staging.Trigger.Pattern);
        Assert.Equal(DeliveryDriver.Compose, staging.Delivery.Driver);
        Assert.Equal(DataMode.Masked, staging.Data.Mode);
        Assert.Equal(2, staging.Services["api"].Replicas);
    }

    internal static DeployEnvironment Load(string name, IReadOnlyDictionary<string, string>? variables = null)
    {
        var result = new EnvironmentLoader(RepositoryRoot.Path).Load("environments", name, variables ?? NoVariables);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Environment!;
    }
}
