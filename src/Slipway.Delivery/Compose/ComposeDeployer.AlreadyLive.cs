using System.Text;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>
/// A deploy of the revision that already runs, exactly as it was deployed, does no work: no backup, no migration, no
/// container replaced. It probes the stack and records the deploy as already live. "Exactly" means: the last thing this
/// deployer did to the stack was deploy this revision successfully (a record it removes before it changes anything and
/// writes after a deploy succeeded), the ledger's last good revision is this one, the stack's Compose files, generated
/// configuration and variables are those it was deployed with, and every container runs, ready, from this release's images.
/// </summary>
public sealed partial class ComposeDeployer
{
    /// <summary>What the ledger's details say of a deploy that found its revision already running.</summary>
    public const string AlreadyLiveDetails = "already live: nothing redeployed; probes passed";

    private string LiveRecordPath => Path.Combine(_deployment.StateDirectory, "live.json");

    /// <summary>The outcome of a deploy of the revision that already runs as deployed (probes only), or null when it must deploy.</summary>
    private async Task<DeployOutcome?> AlreadyLiveAsync(ComposeRelease release, string who, long started)
    {
        if (_session.IsDryRun || release.Revision is not { } revision)
        {
            return null;
        }

        var live = StepRecord.Read<LiveRecord>(LiveRecordPath, LiveRecordPath, _session.Warning);
        if (live is null || live.RevisionId != revision.Id || _ledger.LastGood()?.RevisionId != revision.Id)
        {
            return null;
        }

        if (live.Stack != StackFingerprint())
        {
            _session.Info($"{release.Describe()} was deployed last, but the stack's Compose files, generated configuration or variables changed since: deploying it again.");
            return null;
        }

        // One listing and one inspect for the whole project, not two commands per service: this is the path of every
        // unchanged deploy, and each Compose command costs a CLI start.
        var listed = await ContainerIdsAsync(ProjectFor(release));
        var byService = (listed.Count == 0 ? [] : await InspectAsync(listed)).ToLookup(c => c.ComposeService, StringComparer.Ordinal);
        foreach (var (service, replicas, image) in _deployment.Services.Select(s => (s.Name, (int?)s.Replicas, release.Images.GetValueOrDefault(s.Name)))
            .Concat(_deployment.DataServices.Append(_deployment.ProxyService).Select(s => (s, (int?)null, (string?)null))))
        {
            var running = byService[service].ToList();
            var asDeployed = running.Count > 0 && (replicas is null || running.Count == replicas) && running.All(c => c.IsReady && (image is null || c.Image == image));
            if (!asDeployed)
            {
                _session.Info($"{release.Describe()} was deployed last, but {service} does not run as deployed ("
                    + (running.Count == 0 ? "no container" : string.Join(", ", running.Select(c => $"{c.Name} {c.Health ?? c.Status}")))
                    + "): deploying it again.");
                return null;
            }
        }

        _session.Info($"{release.Describe()} already runs on {_deployment.Environment} as deployed (every container ready, from its images, with this configuration): probes only, their samples back to back.");
        var verdict = await (_checks.LiveProbeAsync ?? _checks.ProbeAsync)(_session.CancellationToken);
        _session.Info(verdict.Report.TrimEnd('\n'));
        if (!verdict.Passed)
        {
            _session.Warning($"{release.Describe()} runs as deployed but its probes fail ({string.Join("; ", verdict.Failures)}): deploying it again.");
            return null;
        }

        Record(release, LedgerAction.Deployed, AlreadyLiveDetails, started, who);
        return new DeployOutcome(LedgerAction.Deployed, $"{release.Describe()} is already live on {_deployment.Environment}: nothing to deploy; every service healthy, probes passed.", null);
    }

    /// <summary>After a successful deploy: this revision runs, with the stack as it is now.</summary>
    private void RememberLive(ComposeRelease release)
    {
        RememberServing();
        if (release.Revision is { } revision)
        {
            StepRecord.Write(LiveRecordPath, LiveRecordPath, new LiveRecord(revision.Id, StackFingerprint()), _session.Warning);
        }
    }

    /// <summary>Before anything changes the stack: until a deploy succeeds, no revision is known to run as deployed.</summary>
    private void ForgetLive()
    {
        if (!_session.IsDryRun)
        {
            StepRecord.Forget(LiveRecordPath);
        }
    }

    /// <summary>
    /// SHA-256 of what the stack is besides the release: its Compose files and configuration files (contents) and its
    /// variables (a secret's value hashed on its own, so it is never written down).
    /// </summary>
    private string StackFingerprint()
    {
        var text = new StringBuilder();
        foreach (var file in _deployment.Project.Files.Concat(_deployment.ConfigurationFiles))
        {
            text.Append("file ").Append(file).Append(' ').Append(StepRecord.FileHash(file) ?? "missing").Append('\n');
        }

        foreach (var (name, value) in _deployment.Project.Variables)
        {
            var shown = value is SecretValue ? "secret " + ContentHash.Hex(value.Reveal()) : value.Reveal();
            text.Append("variable ").Append(name).Append(' ').Append(shown.Length).Append(':').Append(shown).Append('\n');
        }

        return ContentHash.Hex(text.ToString());
    }
}

/// <summary>The revision a Compose deployer last deployed successfully, and the stack it deployed it with.</summary>
internal sealed record LiveRecord(string RevisionId, string Stack);
