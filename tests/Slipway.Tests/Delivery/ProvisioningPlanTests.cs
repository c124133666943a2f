using Slipway.Delivery;

namespace Slipway.Tests.Delivery;

/// <summary>
/// Provision on a machine that is not root: what is there is used, only what is missing is installed (apt packages
/// through passwordless sudo, the scripts' tools as the user), and with neither root nor sudo it lists what to install.
/// </summary>
public sealed class ProvisioningPlanTests
{
    private const string Script = "/repo/.slipway/provision/0.1.0-abc/provision.sh";
    private const string State = "/repo/.slipway";

    [Fact]
    public void A_hosted_runner_with_everything_installs_nothing_and_uses_its_engine()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: true, EngineAnswers: true, Missing()));
        Assert.Empty(plan.Steps);
        Assert.Null(plan.Refusal);
        Assert.Equal("nothing to install: every required tool is present, and the Docker engine that answers is used as it is", plan.Summary);
    }

    [Fact]
    public void Missing_tools_are_fetched_as_the_user_without_sudo_and_the_engine_is_left_alone()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: true, Missing("cosign", "cdxgen")));
        Assert.Null(plan.Refusal);
        Assert.Equal([$"bash {Script} --only tools {State}"], plan.Steps.Select(s => s.ToDisplayString()));
        Assert.Equal("uses the Docker engine that answers; fetches cdxgen, cosign into .slipway/tools", plan.Summary);
    }

    [Fact]
    public void Missing_packages_are_installed_through_sudo_then_the_tools()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: true, EngineAnswers: true, Missing("docker-registry", "helm", "git")));
        Assert.Equal(
            ["sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry git", $"bash {Script} --only tools {State}"],
            plan.Steps.Select(s => s.ToDisplayString()));
        Assert.DoesNotContain(plan.Steps, s => s.ToDisplayString().Contains("dockerd", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_root_or_sudo_the_missing_packages_are_listed_with_how_to_install_them()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: false, Missing("docker", "helm")));
        Assert.Empty(plan.Steps);
        Assert.Equal(
            string.Join(Environment.NewLine,
                "Cannot provision this machine: installing docker.io needs root, and this user is not root and has no passwordless sudo. Missing:",
                "  docker: install docker",
                "  helm: install helm",
                "Install them (as root: apt-get install -y docker.io), or run Provision as root or as a user with passwordless sudo, then run again."),
            plan.Refusal);
    }

    [Fact]
    public void A_tool_provision_cannot_install_is_listed_even_with_sudo()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: true, EngineAnswers: true, Missing("terraform")));
        Assert.StartsWith("Cannot provision this machine: Provision cannot install terraform. Missing:", plan.Refusal, StringComparison.Ordinal);
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void Another_system_gets_the_list_not_an_attempt()
    {
        var plan = Decide(new MachineFacts(IsDebian: false, HasSudo: true, EngineAnswers: true, Missing("cosign")));
        Assert.StartsWith("Cannot provision this machine: automatic provisioning supports Debian and Ubuntu. Missing:", plan.Refusal, StringComparison.Ordinal);
    }

    private static ProvisioningPlan Decide(MachineFacts facts) => ProvisioningPlan.Decide(facts, Script, State);

    private static Dictionary<string, string> Missing(params string[] tools) => tools.ToDictionary(t => t, t => "install " + t, StringComparer.Ordinal);
}
