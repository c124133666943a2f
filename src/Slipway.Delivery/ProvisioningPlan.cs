using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>What Provision found on a machine that is not root: what is missing, and what it may use to install it.</summary>
/// <param name="IsDebian">Debian or Ubuntu: the provisioning scripts and apt packages apply.</param>
/// <param name="HasSudo">Passwordless <c>sudo</c> works (<c>sudo -n true</c>), as on GitHub-hosted runners.</param>
/// <param name="EngineAnswers">A Docker engine answers where the pipeline looks (<c>DOCKER_HOST</c>, else <c>/var/run/docker.sock</c>).</param>
/// <param name="Missing">The required tools that are missing, by name (<c>docker</c>, <c>helm</c>, <c>compose</c>, …), each with how to install it.</param>
public sealed record MachineFacts(bool IsDebian, bool HasSudo, bool EngineAnswers, IReadOnlyDictionary<string, string> Missing);

/// <summary>
/// What Provision does on a machine that is not root: uses what is there (an engine that answers, the <c>docker compose</c>
/// plugin, helm and kubectl on PATH), installs only what is missing — apt packages through <c>sudo</c>, the tools the
/// scripts fetch into <c>.slipway/tools</c> as the user — and, with neither root nor sudo, says exactly what is missing
/// and how to install it. As root, the provisioning script runs as it always did.
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
        var engine = facts.EngineAnswers ? "the Docker engine that answers" : "no Docker engine (none answers)";
        if (facts.Missing.Count == 0)
        {
            return new([], null, $"nothing to install: every required tool is present, and {engine} is used as it is");
        }

        var packages = facts.Missing.Keys.Where(AptPackages.ContainsKey).Select(t => AptPackages[t]).Distinct().Order(StringComparer.Ordinal).ToList();
        var tools = facts.Missing.Keys.Where(ScriptTools.Contains).Order(StringComparer.Ordinal).ToList();
        var byHand = facts.Missing.Keys.Where(t => !AptPackages.ContainsKey(t) && !ScriptTools.Contains(t)).Order(StringComparer.Ordinal).ToList();
        var needsRoot = facts.IsDebian && packages.Count > 0;
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
            steps.Add(ToolInvocation.Of("sudo").WithArguments(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", .. packages]));
        }

        if (tools.Count > 0)
        {
            steps.Add(ToolInvocation.Of("bash").WithArguments(script, "--only", "tools", state));
        }

        return new(steps, null,
            $"uses {engine}{(packages.Count > 0 ? $"; installs {string.Join(", ", packages)} with sudo" : string.Empty)}{(tools.Count > 0 ? $"; fetches {string.Join(", ", tools)} into .slipway/tools" : string.Empty)}");
    }
}
