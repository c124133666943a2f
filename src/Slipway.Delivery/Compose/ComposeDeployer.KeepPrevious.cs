using System.Globalization;
using Slipway.Tools.Docker;
using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>
/// <c>rollout.keep_previous</c>: after the probes passed, the previous release's containers keep running, drained, for
/// that long (recorded in <c>warm-previous.json</c> in the state directory). A <c>Rollback</c> to that release within the
/// window is the switch back through the proxy's runtime API (its slots ready, the new ones in maintenance, one
/// command), then the new containers are removed. The next deploy or rollback of the environment removes warm
/// containers first, whether their window ended or not; nothing else does (no daemon runs between deploys).
/// </summary>
public sealed partial class ComposeDeployer
{
    private string WarmRecordPath => Path.Combine(_deployment.StateDirectory, "warm-previous.json");

    /// <summary>The probes passed: the previous containers stay (already drained) and the record says until when.</summary>
    private async Task KeepPreviousWarmAsync(Attempt attempt, LedgerEntry previous, TimeSpan window)
    {
        var kept = attempt.Steps.Where(s => s.Old.Count > 0).ToList();
        foreach (var step in attempt.Steps)
        {
            // A worker's previous containers were paused while the probes ran: through the window they run like the others,
            // so a switch back finds them all running.
            await StopGuardAsync(step);
            await ResumeAsync(step);
        }

        var until = _time.GetUtcNow() + window;
        StepRecord.Write(WarmRecordPath, WarmRecordPath, new WarmRecord(previous.Version, previous.RevisionId, until, [.. kept.Select(s => new WarmService(
            s.Service.Name, [.. s.Old.Select(c => c.Id)], s.OldSlots, [.. s.Fresh.Select(c => c.Id)], s.NewSlots))]), _session.Warning);
        _session.Info($"{string.Join(", ", kept.Select(s => $"{s.Service.Name}: {s.Old.Count}"))} previous container(s) of {previous.Describe()} stay running"
            + $"{(kept.Any(s => s.OldSlots.Count > 0) ? ", drained," : string.Empty)} until {Stamp(until)} (rollout.keep_previous): Rollback to it before then switches traffic back at the proxy; "
            + "the next deploy or rollback removes them");
    }

    /// <summary>Before an apply changes the stack: warm previous containers of an earlier deploy go, their window over or not.</summary>
    private async Task RetireWarmAsync()
    {
        if (_session.IsDryRun || StepRecord.Read<WarmRecord>(WarmRecordPath, WarmRecordPath, _session.Warning) is not { } warm)
        {
            return;
        }

        var ended = warm.Until <= _time.GetUtcNow() ? $"its window ended at {Stamp(warm.Until)}" : $"superseded before its window's end at {Stamp(warm.Until)}";
        await RemoveByIdAsync([.. warm.Services.SelectMany(s => s.PreviousIds)], $"removing the previous container(s) of {warm.Describe()} kept warm (rollout.keep_previous; {ended})");
        StepRecord.Forget(WarmRecordPath);
    }

    /// <summary>
    /// A rollback to the release kept warm, inside its window, with its containers all still running: traffic switches
    /// back to them in one runtime API command and the new containers go. Null when it cannot be a switch (the caller
    /// redeploys, which removes the warm containers first).
    /// </summary>
    private async Task<DeployOutcome?> SwitchToWarmAsync(ComposeRelease target, LedgerEntry? current, string who, long started)
    {
        if (_session.IsDryRun || StepRecord.Read<WarmRecord>(WarmRecordPath, WarmRecordPath, _session.Warning) is not { } warm)
        {
            return null;
        }

        if (LedgerEntry.KeyOf(warm.Version, warm.RevisionId) != LedgerEntry.KeyOf(target.Version, target.Revision?.Id))
        {
            _session.Info($"The containers kept warm are of {warm.Describe()}, not {target.Describe()}: redeploying {target.Describe()}.");
            return null;
        }

        if (warm.Until <= _time.GetUtcNow())
        {
            _session.Info($"The keep window of {warm.Describe()} ended at {Stamp(warm.Until)} (rollout.keep_previous): redeploying it.");
            return null;
        }

        var project = ProjectFor(target);
        var proxy = (await ContainersAsync(project, _deployment.ProxyService)).FirstOrDefault(c => c.Status == "running");
        var servers = proxy is null ? [] : await ServersAsync(proxy);
        foreach (var service in warm.Services)
        {
            // A worker's (no proxy slots) health may still say unhealthy for a few seconds after the pause the probes needed
            // (a paused container fails its health checks): running is enough for it, its health follows on its own.
            var running = (await ContainersAsync(project, service.Service))
                .Where(c => service.PreviousSlots.Count == 0 ? c.Status == "running" : c.IsReady)
                .ToDictionary(c => c.Id, StringComparer.Ordinal);
            var addresses = Addresses(service.PreviousIds.Select(running.GetValueOrDefault).OfType<DockerContainer>());
            if (!service.PreviousIds.All(running.ContainsKey)
                || (service.PreviousSlots.Count > 0 && (proxy is null || !service.PreviousSlots.All(slot => servers.Any(s => s.Name == slot && s.Address is not null && addresses.Contains(s.Address))))))
            {
                _session.Warning($"{service.Service}: the containers of {warm.Describe()} kept warm are no longer all running behind their proxy slots: redeploying it.");
                return null;
            }
        }

        _session.Info($"Rolling {_deployment.Environment} back to {target.Describe()} inside its keep window (until {Stamp(warm.Until)}): switching traffic back to its warm containers");
        var decided = _time.GetUtcNow();
        var routed = warm.Services.Where(s => s.PreviousSlots.Count + s.NewSlots.Count > 0).ToList();
        if (proxy is not null && routed.Count > 0)
        {
            await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Batch([
                .. routed.SelectMany(s => s.PreviousSlots).Select(s => HaproxyRuntimeApi.Ready(_deployment.ProxyBackend, s)),
                .. routed.SelectMany(s => s.NewSlots).Select(s => HaproxyRuntimeApi.Maint(_deployment.ProxyBackend, s)),
            ]), readOnly: false);
        }

        var switched = _time.GetUtcNow();
        _session.Info($"{string.Join(", ", warm.Services.Select(s => s.Service))}: traffic switched back to {string.Join(", ", routed.SelectMany(s => s.PreviousSlots))} (previous): decided at {Stamp(decided)}, taken by the proxy at {Stamp(switched)}; "
            + $"{string.Join(", ", routed.SelectMany(s => s.NewSlots))} (new) in maintenance");

        // The stack is no longer what the last deploy left: the next deploy rolls every service out.
        ForgetLive();
        StepRecord.Forget(ServingRecordPath);
        StepRecord.Forget(WarmRecordPath);
        await RemoveByIdAsync([.. warm.Services.SelectMany(s => s.NewIds)], $"removing the {warm.Services.Sum(s => s.NewIds.Count)} container(s) rolled back from");

        var verdict = await _checks.ProbeAsync(_session.CancellationToken);
        _session.Info(verdict.Report.TrimEnd('\n'));
        var within = (switched - decided).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        var from = current is null ? target : ComposeRelease.From(current);
        if (!verdict.Passed)
        {
            Record(from, LedgerAction.Failed, $"manual rollback to {target.Describe()} inside the keep window: traffic switched back to its warm containers in {within} ms, but its probes fail: {string.Join("; ", verdict.Failures)}", started, who);
            return new DeployOutcome(LedgerAction.Failed, $"Traffic is on {target.Describe()} again (its warm containers), but its probes fail: {string.Join("; ", verdict.Failures)}.", null);
        }

        Record(from, LedgerAction.RolledBack,
            $"manual rollback to {target.Describe()} inside the keep window (rollout.keep_previous, until {Stamp(warm.Until)}): traffic switched back to its warm containers through the proxy's runtime API, taken {within} ms after the decision; the new containers removed; probes passed",
            started, who, rolledBackTo: target);
        return new DeployOutcome(LedgerAction.RolledBack, $"{_deployment.Environment} runs {target.Describe()} again: traffic switched back to its warm containers ({within} ms), the new ones removed, probes passed.", null);
    }

    private async Task RemoveByIdAsync(IReadOnlyList<string> ids, string why)
    {
        if (ids.Count == 0)
        {
            return;
        }

        _session.Info(why);
        await _session.RunAsync(DockerCli.Stop(ids, (int)_deployment.StopGracePeriod.TotalSeconds, Endpoint).AcceptingAnyExitCode(), echoOutput: false);
        foreach (var id in ids)
        {
            await _session.RunAsync(DockerCli.Remove(id, force: true, Endpoint).AcceptingAnyExitCode(), echoOutput: false);
        }
    }
}

/// <summary>The previous release's containers kept warm after a deploy (<c>rollout.keep_previous</c>), and until when.</summary>
internal sealed record WarmRecord(string Version, string? RevisionId, DateTimeOffset Until, IReadOnlyList<WarmService> Services)
{
    public string Describe() => RevisionId is null ? Version : $"{Version} (rev {RevisionId})";
}

/// <summary>One service's warm previous containers and proxy slots, and the new ones that took over from them.</summary>
internal sealed record WarmService(string Service, IReadOnlyList<string> PreviousIds, IReadOnlyList<string> PreviousSlots, IReadOnlyList<string> NewIds, IReadOnlyList<string> NewSlots);
