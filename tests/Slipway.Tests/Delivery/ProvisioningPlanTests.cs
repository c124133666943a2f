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
        Assert.Equal("nothing to install: every required tool is present, and the Docker engine that answers at Docker's default endpoint is used as it is", plan.Summary);
    }

    [Fact]
    public void Missing_tools_are_fetched_as_the_user_without_sudo_and_the_engine_is_left_alone()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: true, Missing("cosign", "cdxgen")));
        Assert.Null(plan.Refusal);
        Assert.Equal([$"bash {Script} --only tools {State} cdxgen cosign"], plan.Steps.Select(s => s.ToDisplayString()));
        Assert.Equal("uses the Docker engine that answers at Docker's default endpoint; fetches cdxgen, cosign into .slipway/tools", plan.Summary);
    }

    [Fact]
    public void Missing_packages_are_installed_through_sudo_then_the_tools()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: true, EngineAnswers: true, Missing("docker-registry", "helm", "git")));
        Assert.Equal(
            ["sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry git", $"bash {Script} --only tools {State} helm"],
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

    [Fact]
    public void Root_with_an_engine_that_answers_uses_it_and_its_compose_and_starts_nothing()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: true, Missing())
        {
            IsRoot = true,
            EngineLocation = "unix:///var/run/docker.sock (Docker's default: DOCKER_HOST is not set)",
            Compose = "docker compose (Compose 2.29.1, Docker CLI plugin)",
        });
        Assert.Empty(plan.Steps);
        Assert.Equal(
            "nothing to install: every required tool is present, and the Docker engine that answers at unix:///var/run/docker.sock (Docker's default: DOCKER_HOST is not set), and Compose docker compose (Compose 2.29.1, Docker CLI plugin) are used as they are",
            plan.Summary);
    }

    [Fact]
    public void Root_with_an_engine_installs_only_what_is_missing_itself_without_sudo()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: true, Missing("docker-registry", "cosign")) { IsRoot = true });
        Assert.Null(plan.Refusal);
        Assert.Equal(
            ["env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry", $"bash {Script} --only tools {State} cosign"],
            plan.Steps.Select(s => s.ToDisplayString()));
        Assert.Equal("uses the Docker engine that answers at Docker's default endpoint; installs docker-registry as root; fetches cosign into .slipway/tools", plan.Summary);
    }

    [Fact]
    public void Root_with_no_engine_answering_starts_its_own_with_the_full_script()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: false, Missing("docker-registry")) { IsRoot = true, EngineLocation = "unix:///var/run/docker.sock" });
        Assert.Null(plan.Refusal);
        Assert.Equal([$"bash {Script} {State}"], plan.Steps.Select(s => s.ToDisplayString()));
        Assert.EndsWith(": no Docker engine answers at unix:///var/run/docker.sock", plan.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_asking_for_its_own_engine_gets_it_even_when_one_answers()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: false, EngineAnswers: true, Missing()) { IsRoot = true, OwnEngineRequested = true });
        Assert.Equal([$"bash {Script} {State}"], plan.Steps.Select(s => s.ToDisplayString()));
        Assert.Equal($"as root, starts its own Docker engine on {Path.Combine(State, "docker.sock")}, a registry, stand-in images and Compose v2 in {Path.Combine(State, "tools")}: --own-engine (SLIPWAY_OWN_ENGINE=1) asks for it", plan.Summary);
    }

    [Fact]
    public void Own_engine_asked_by_a_user_who_is_not_root_is_not_started()
    {
        var plan = Decide(new MachineFacts(IsDebian: true, HasSudo: true, EngineAnswers: true, Missing()) { OwnEngineRequested = true });
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void Root_on_another_system_gets_the_list_not_the_script()
    {
        var plan = Decide(new MachineFacts(IsDebian: false, HasSudo: false, EngineAnswers: false, Missing("cosign")) { IsRoot = true });
        Assert.StartsWith("Cannot provision this machine: automatic provisioning supports Debian and Ubuntu.", plan.Refusal, StringComparison.Ordinal);
        Assert.Empty(plan.Steps);
    }

    private static ProvisioningPlan Decide(MachineFacts facts) => ProvisioningPlan.Decide(facts, Script, State);

    private static Dictionary<string, string> Missing(params string[] tools) => tools.ToDictionary(t => t, t => "install " + t, StringComparer.Ordinal);
}
