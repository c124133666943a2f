using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>What Provision found on a machine: what is missing, and what it may use to install it.</summary>
/// <param name="IsDebian">Debian or Ubuntu: the provisioning scripts and apt packages apply.</param>
/// <param name="HasSudo">Passwordless <c>sudo</c> works (<c>sudo -n true</c>), as on GitHub-hosted runners.</param>
/// <param name="EngineAnswers">A Docker engine answers where the pipeline looks (<c>DOCKER_HOST</c>, else <c>/var/run/docker.sock</c>).</param>
/// <param name="Missing">The required tools that are missing, by name (<c>docker</c>, <c>helm</c>, <c>compose</c>, …), each with how to install it.</param>
public sealed record MachineFacts(bool IsDebian, bool HasSudo, bool EngineAnswers, IReadOnlyDictionary<string, string> Missing)
{
    /// <summary>Provision runs as root: it installs packages itself, and may start its own engine.</summary>
    public bool IsRoot { get; init; }

    /// <summary>
    /// <c>--own-engine</c> (<c>SLIPWAY_OWN_ENGINE=1</c>): as root, start Slipway's own engine in <c>.slipway/</c> even when
    /// one answers, so that a run (this repository's CI) depends on nothing the machine already runs.
    /// </summary>
    public bool OwnEngineRequested { get; init; }

    /// <summary>Where the engine was asked, and why there, e.g. <c>unix:///var/run/docker.sock (Docker's default: DOCKER_HOST is not set)</c>.</summary>
    public string EngineLocation { get; init; } = "Docker's default endpoint";

    /// <summary>The Compose that answers, as Doctor names it (<c>docker compose (Compose 2.26.1, Docker CLI plugin)</c>); null when none does.</summary>
    public string? Compose { get; init; }
}

/// <summary>
/// What Provision does on a machine: uses what is there (an engine that answers, the <c>docker compose</c> plugin, helm
/// and kubectl on PATH), installs only what is missing — apt packages as root or through <c>sudo</c>, the tools the
/// scripts fetch into <c>.slipway/tools</c> as the user — and, with neither root nor sudo, says exactly what is missing
/// and how to install it. As root, it starts its own engine in <c>.slipway/</c> (the full provisioning script) only when
/// no engine answers or when asked to (<see cref="MachineFacts.OwnEngineRequested"/>).
/// </summary>
/// <param name="Steps">The commands to run, in order; empty when nothing is to be installed or when refused.</param>
/// <param name="Refusal">Why nothing can be installed, with the list of what is missing and how to install each; null when it can.</param>
/// <param name="Summary">One line for the log: what is used and what is installed.</param>
public sealed record ProvisioningPlan(IReadOnlyList<ToolInvocation> Steps, string? Refusal, string Summary)
{
    /// <summary>The Debian packages that provide a missing tool; a tool not here is fetched by the scripts or installed by hand.</summary>
    public static readonly IReadOnlyDictionary<string, string> AptPackages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["docker"] = "docker.io",
        ["docker-registry"] = "docker-registry",
        ["git"] = "git",
    };

    /// <summary>The tools <c>provision.sh --only tools</c> fetches into <c>.slipway/tools</c>, without root and without touching the engine.</summary>
    public static readonly IReadOnlySet<string> ScriptTools = new HashSet<string>(StringComparer.Ordinal)
    {
        "compose", "cosign", "helm", "helm3", "kubectl", "cdxgen", "actionlint", "action-validator",
    };

    /// <summary>
    /// The plan for <paramref name="facts"/>; <paramref name="script"/> is the extracted <c>provision.sh</c> and
    /// <paramref name="state"/> the directory it provisions into.
    /// </summary>
    public static ProvisioningPlan Decide(MachineFacts facts, string script, string state)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentException.ThrowIfNullOrWhiteSpace(script);
        ArgumentException.ThrowIfNullOrWhiteSpace(state);
        if (facts.IsRoot && facts.IsDebian && (facts.OwnEngineRequested || !facts.EngineAnswers))
        {
            var why = facts.OwnEngineRequested
                ? "--own-engine (SLIPWAY_OWN_ENGINE=1) asks for it"
                : $"no Docker engine answers at {facts.EngineLocation}";
            return new([ToolInvocation.Of("bash").WithArguments(script, state)], null,
                $"as root, starts its own Docker engine on {Path.Combine(state, "docker.sock")}, a registry, stand-in images and Compose v2 in {Path.Combine(state, "tools")}: {why}");
        }

        var engine = facts.EngineAnswers ? $"the Docker engine that answers at {facts.EngineLocation}" : $"no Docker engine (none answers at {facts.EngineLocation})";
        var compose = facts.Compose is null ? string.Empty : $", and Compose {facts.Compose}";
        if (facts.Missing.Count == 0)
        {
            return new([], null, $"nothing to install: every required tool is present, and {engine}{compose} {(facts.Compose is null ? "is used as it is" : "are used as they are")}");
        }

        var packages = facts.Missing.Keys.Where(AptPackages.ContainsKey).Select(t => AptPackages[t]).Distinct().Order(StringComparer.Ordinal).ToList();
        var tools = facts.Missing.Keys.Where(ScriptTools.Contains).Order(StringComparer.Ordinal).ToList();
        var byHand = facts.Missing.Keys.Where(t => !AptPackages.ContainsKey(t) && !ScriptTools.Contains(t)).Order(StringComparer.Ordinal).ToList();
        var needsRoot = facts.IsDebian && packages.Count > 0 && !facts.IsRoot;
        if (!facts.IsDebian || byHand.Count > 0 || (needsRoot && !facts.HasSudo))
        {
            var why = !facts.IsDebian
                ? "automatic provisioning supports Debian and Ubuntu"
                : byHand.Count > 0
                    ? $"Provision cannot install {string.Join(", ", byHand)}"
                    : $"installing {string.Join(", ", packages)} needs root, and this user is not root and has no passwordless sudo";
            var lines = facts.Missing.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"  {m.Key}: {m.Value}");
            return new([], $"Cannot provision this machine: {why}. Missing:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}"
                + (needsRoot && !facts.HasSudo ? $"Install them (as root: apt-get install -y {string.Join(' ', packages)}), or run Provision as root or as a user with passwordless sudo, then run again." : "Install them, then run again."),
                string.Empty);
        }

        var steps = new List<ToolInvocation>();
        if (packages.Count > 0)
        {
            // -n: never prompt (a CI job has nobody to answer); the environment keeps apt quiet.
            string[] install = ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", .. packages];
            steps.Add(facts.IsRoot ? ToolInvocation.Of("env").WithArguments([.. install]) : ToolInvocation.Of("sudo").WithArguments(["-n", "env", .. install]));
        }

        if (tools.Count > 0)
        {
            // Only the steps that fetch what is missing (a Publish job lacking cosign alone skips the npm tools).
            steps.Add(ToolInvocation.Of("bash").WithArguments([script, "--only", "tools", state, .. tools]));
        }

        return new(steps, null,
            $"uses {engine}{compose}{(packages.Count > 0 ? $"; installs {string.Join(", ", packages)}{(facts.IsRoot ? " as root" : " with sudo")}" : string.Empty)}{(tools.Count > 0 ? $"; fetches {string.Join(", ", tools)} into .slipway/tools" : string.Empty)}");
    }
}
