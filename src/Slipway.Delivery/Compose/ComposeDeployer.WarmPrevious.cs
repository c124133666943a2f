using System.Globalization;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;
using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>
/// A warm previous release: traffic moves to the new containers in one runtime API command, the previous containers keep
/// running (drained) until the probes pass, and a failure in that window switches traffic back to them in one command
/// before the new containers are removed. A guard inside the proxy's container watches the new containers' answers
/// meanwhile and switches back itself, in milliseconds, when they break the error budget.
/// </summary>
public sealed partial class ComposeDeployer
{
    /// <summary>
    /// Puts every slot of the backend that carries none of <paramref name="old"/> in maintenance, so the new containers
    /// DNS gives those slots take no request until <see cref="MoveTrafficAsync"/> (HAProxy would route to them as soon as
    /// its own checks pass: before the checks before traffic).
    /// </summary>
    private async Task<DockerContainer> HoldFreeSlotsAsync(ComposeProject project, IReadOnlyList<DockerContainer> old)
    {
        await RunAsync(ComposeCli.Up(project, [_deployment.ProxyService], noDeps: true));
        var proxy = (await ListUntilReadyAsync(project, [_deployment.ProxyService], _deployment.ProxyService)).Single();
        var serving = Addresses(old);
        var free = (await ServersAsync(proxy)).Where(s => !IsCanarySlot(s) && (s.Address is null || !serving.Contains(s.Address))).ToList();
        if (free.Count > 0)
        {
            await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Batch(free.Select(s => HaproxyRuntimeApi.Maint(_deployment.ProxyBackend, s.Name))), readOnly: false);
        }

        return proxy;
    }

    /// <summary>
    /// Waits until the proxy has a slot for each new container of every step, starts the guards, then readies the new
    /// slots and drains the old ones of all the steps in one command (blue/green moves several services at once): HAProxy
    /// puts a server leaving maintenance up at once, so no request finds no server.
    /// </summary>
    private async Task MoveTrafficAsync(IReadOnlyList<RolloutStep> steps, bool guarded)
    {
        var proxy = steps[0].Proxy!;
        var backend = _deployment.ProxyBackend;
        var budget = guarded ? _deployment.MaxErrorRateAfterTraffic : null;
        foreach (var step in steps)
        {
            var fresh = Addresses(step.Fresh);
            var previous = Addresses(step.Old);
            var waited = _time.GetTimestamp();
            IReadOnlyList<HaproxyServer> servers;
            string stat;
            while (true)
            {
                // A guard counts from the counters of the same moment: both answers come from one exec.
                (servers, stat) = await ServersAndStatAsync(proxy, withStat: budget is not null);
                servers = [.. servers.Where(s => !IsCanarySlot(s))];
                if (fresh.All(a => servers.Any(s => s.Address == a)))
                {
                    break;
                }

                if (_time.GetElapsedTime(waited) > _deployment.Rollout.HealthTimeout.Value)
                {
                    throw new DeployStepException($"{step.Service.Name}: the proxy gave no slot of the backend '{backend}' to the new container(s) within {_deployment.Rollout.HealthTimeout} (rollout.health_timeout): its DNS resolution did not see them");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, _session.CancellationToken);
            }

            step.NewSlots = [.. servers.Where(s => fresh.Contains(s.Address!)).Select(s => s.Name)];
            step.OldSlots = [.. servers.Where(s => s.Address is not null && previous.Contains(s.Address)).Select(s => s.Name)];
            if (budget is not null)
            {
                // A rolling deploy of one service moves its traffic in two steps, the second sent by the guard; blue/green
                // moves every service at once, as it promises.
                var first = steps.Count == 1 && step.OldSlots.Count > 0 && step.NewSlots.Count > 0 && _deployment.Rollout.Strategy == RolloutStrategy.Rolling
                    ? new FirstStep(FirstStepPercent, FirstStepAnswers, FirstStepLimit, AllTrafficCommand(step))
                    : null;
                var guard = new ProxyTrafficGuard(backend, _deployment.ProxySocket, budget.Value, step.NewSlots, SwitchBackCommand(step), _deployment.Rollout.Timeout.Value, first);
                var baseline = guard.Count(stat);
                step.GuardId = Guid.NewGuid().ToString("N")[..12];
                step.FirstStep = first;
                step.Guard = _session.RunAsync(guard.Invocation(proxy.Id, Endpoint, step.GuardId, baseline), echoOutput: false);
            }
        }

        // Stamped as the command leaves: no request can reach a new slot before this time.
        var moved = Stamp(_time.GetUtcNow());
        await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Batch([.. steps.SelectMany(step => step.FirstStep is null ? AllTraffic(step) : FirstStepTraffic(step))]), readOnly: false);
        foreach (var step in steps)
        {
            var guard = step.Guard is null ? string.Empty : $"; the proxy switches back by itself if the new answers break the error budget ({_deployment.MaxErrorRateAfterTraffic!.Value.ToString("0.###", CultureInfo.InvariantCulture)})";
            if (step.FirstStep is not { } first)
            {
                _session.Info($"{step.Service.Name}: traffic moved at {moved} to {string.Join(", ", step.NewSlots)} (new); {string.Join(", ", step.OldSlots)} (previous) drained, kept running{guard}");
                continue;
            }

            _session.Info($"{step.Service.Name}: traffic moved at {moved} to {string.Join(", ", step.NewSlots)} (new), {first.Percent} % first: the proxy moves the rest once they answered {first.Answers} requests or after {first.Limit.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s{guard}");
            await WaitForTheRestAsync(step);
        }
    }

    /// <summary>The new containers' share of the first traffic step of a guarded rolling deploy.</summary>
    private const int FirstStepPercent = 20;

    /// <summary>How many answers of the new containers within the error budget end the first step.</summary>
    private const int FirstStepAnswers = 5;

    /// <summary>How long the first step lasts at most.</summary>
    private static readonly TimeSpan FirstStepLimit = TimeSpan.FromSeconds(1);

    /// <summary>How long one read of the guard's rest file waits for it in the proxy's container before the deployer asks whether the guard ended.</summary>
    private static readonly TimeSpan RestWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// New slots ready at their configured weight (a first step, or one a killed run left, may have changed it), previous
    /// ones drained. A slot is readied only by a command that sets its weight too, so a drained slot's weight does not matter.
    /// </summary>
    private IEnumerable<string> AllTraffic(RolloutStep step) => [
        .. step.NewSlots.Select(s => HaproxyRuntimeApi.ResetWeight(_deployment.ProxyBackend, s)),
        .. step.NewSlots.Select(s => HaproxyRuntimeApi.Ready(_deployment.ProxyBackend, s)),
        .. step.OldSlots.Select(s => HaproxyRuntimeApi.Drain(_deployment.ProxyBackend, s)),
    ];

    private string AllTrafficCommand(RolloutStep step) => HaproxyRuntimeApi.Batch(AllTraffic(step));

    /// <summary>Weights that give the new slots <see cref="FirstStepPercent"/> % beside the previous ones, then the new slots ready.</summary>
    private IEnumerable<string> FirstStepTraffic(RolloutStep step)
    {
        var weights = CanaryWeights.For(step.FirstStep!.Percent, step.OldSlots.Count, step.NewSlots.Count);
        return [
            .. step.OldSlots.Select(s => HaproxyRuntimeApi.SetWeight(_deployment.ProxyBackend, s, weights.Stable)),
            .. step.NewSlots.Select(s => HaproxyRuntimeApi.SetWeight(_deployment.ProxyBackend, s, weights.Canary)),
            .. step.NewSlots.Select(s => HaproxyRuntimeApi.Ready(_deployment.ProxyBackend, s)),
        ];
    }

    /// <summary>
    /// Waits until the guard moved the rest of the traffic (the probes after traffic must judge the new containers with
    /// all of it). A guard that tripped is reported by the probes' wait, like a trip after the move; one that ended
    /// without moving it (its time limit) leaves nothing else moving traffic, so the deployer sends the rest itself.
    /// </summary>
    private async Task WaitForTheRestAsync(RolloutStep step)
    {
        var waited = _time.GetTimestamp();
        while (true)
        {
            // Read before asking whether the guard ended: it may have moved the rest, then tripped or stopped. Each read
            // waits up to RestWait for the move inside the proxy's container.
            var read = await _session.QueryAsync(ProxyTrafficGuard.WaitForTheRest(step.Proxy!.Id, Endpoint, _deployment.ProxyBackend, step.GuardId!, RestWait));
            if (read.ExitCode == 0 && ProxyTrafficGuard.MovedTheRest(read.StandardOutput, step.GuardId!))
            {
                _session.Info($"{step.Service.Name}: the proxy moved the rest of the traffic at {(ProxyTrafficGuard.RestMovedAt(read.StandardOutput) is { } at ? Stamp(at) : "a time it did not say")}; {string.Join(", ", step.OldSlots)} (previous) drained, kept running");
                return;
            }

            if (step.Guard!.IsCompleted)
            {
                if (!ProxyTrafficGuard.Parse(await step.Guard).Tripped)
                {
                    await RuntimeApiAsync(step.Proxy!, step.FirstStep!.Rest, readOnly: false);
                    _session.Info($"{step.Service.Name}: the guard ended before it moved the rest of the traffic; moved now, {string.Join(", ", step.OldSlots)} (previous) drained, kept running");
                }

                return;
            }

            if (_time.GetElapsedTime(waited) > step.FirstStep!.Limit + _deployment.Rollout.HealthTimeout.Value)
            {
                // The new slots still hold the first step's share: the guard stops first (it could still move the rest),
                // then the previous slots take all the traffic back, before the new containers are removed.
                await StopGuardAsync(step);
                await RuntimeApiAsync(step.Proxy, SwitchBackCommand(step), readOnly: false);
                throw new DeployStepException($"{step.Service.Name}: the proxy's guard did not move the rest of the traffic within {step.FirstStep.Limit.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s + {_deployment.Rollout.HealthTimeout} (rollout.health_timeout)");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, _session.CancellationToken);
        }
    }

    /// <summary>Runs the SLO probes; a guard that switches back first decides without waiting for them.</summary>
    private async Task ProbeWhileWarmAsync(Attempt attempt)
    {
        var probes = _checks.ProbeAsync(_session.CancellationToken);
        var guards = attempt.Steps.Where(s => s.Guard is not null).Select(s => (Task)s.Guard!).ToList();
        while (!probes.IsCompleted && guards.Count > 0)
        {
            var first = await Task.WhenAny([probes, .. guards]);
            if (first == probes)
            {
                break;
            }

            guards.Remove(first);
            var step = attempt.Steps.Single(s => s.Guard == first);
            step.Report = ProxyTrafficGuard.Parse(await step.Guard!);
            if (step.Report.Tripped)
            {
                // The probes' requests are bounded (samples × interval); they finish on their own.
                attempt.PendingProbes = probes;
                throw new DeployStepException(GuardFailure(step));
            }
        }

        var verdict = await probes;
        _session.Info(verdict.Report.TrimEnd('\n'));
        if (!verdict.Passed)
        {
            throw new DeployStepException(string.Join("; ", verdict.Failures));
        }

        // A guard may have tripped between the last probe and now: it decides too.
        foreach (var step in attempt.Steps.Where(s => s.Guard is not null && s.Report is null))
        {
            await StopGuardAsync(step);
            if (step.Report is { Tripped: true })
            {
                throw new DeployStepException(GuardFailure(step));
            }
        }

        await WaitUntilDockerCallsHealthyAsync(attempt.Steps);
    }

    /// <summary>
    /// The probes passed: drain (already) and stop the previous containers of every service, the services at once (each
    /// waits only for its own connections to end and its own containers to stop).
    /// </summary>
    private Task RetirePreviousAsync(ComposeProject project, Attempt attempt) =>
        Task.WhenAll(attempt.Steps.Where(s => s.Old.Count > 0).Select(step => RetireAsync(project, step)));

    /// <summary>
    /// Stops the guard, drains and removes one service's previous containers. The release passed its probes and serves: a
    /// failure here (the proxy's runtime API gone while draining) does not take it back. That service's previous containers
    /// are left running, drained, and named with the command that removes them; a switch back would also undo the services
    /// whose previous containers are already gone.
    /// </summary>
    private async Task RetireAsync(ComposeProject project, RolloutStep step)
    {
        try
        {
            await StopGuardAsync(step);
            if (step.Service.Routed)
            {
                // The drained slots stay drained: HAProxy keeps a removed container's address for a few seconds (hold
                // obsolete), and a ready slot would send requests to it. A slot whose address Docker later hands to a new
                // container is set ready by the next rollout, once that container passes its checks.
                await DrainAsync(project, step.Old, step.Proxy is { } proxy && step.OldSlots.Count > 0 ? (proxy, step.OldSlots) : null);
            }
        }
        catch (Exception e) when (IsStepFailure(e))
        {
            var remove = DockerCli.Remove(step.Old[0].Id, force: true, Endpoint).ToDisplayString(includeEnvironment: false)
                + string.Concat(step.Old.Skip(1).Select(c => " " + c.Id));
            _session.Warning($"{step.Service.Name}: {step.Version} serves and passed its probes, but retiring its {step.Old.Count} previous container(s) failed: "
                + $"{FailureText(e)}. They keep running, taking no new requests; remove them once their connections ended: {remove}");
            return;
        }

        await ResumeAsync(step);
        await RemoveAsync(step.Old, $"{step.Service.Name}: stopping {step.Old.Count} previous container(s)");
    }

    /// <summary>Unpauses the previous containers of a service that is not routed: to serve again, or to stop gracefully (a paused process takes no SIGTERM).</summary>
    private async Task ResumeAsync(RolloutStep step)
    {
        if (step.PausedOld.Count > 0)
        {
            await _session.RunAsync(DockerCli.Unpause(step.PausedOld, Endpoint).AcceptingAnyExitCode(), echoOutput: false);
            step.PausedOld = [];
        }
    }

    /// <summary>
    /// After a failure: traffic goes back to the warm previous containers (when it moved and a switch back is allowed),
    /// then the new containers are removed; with no switch back allowed, the new ones stay and the previous ones go.
    /// </summary>
    private async Task UndoAsync(Attempt attempt)
    {
        if (attempt.TrafficMoved && !attempt.SwitchBackAllowed)
        {
            foreach (var step in attempt.Steps)
            {
                await StopGuardAsync(step);
                await ResumeAsync(step);
                await RemoveAsync(step.Old, $"{step.Service.Name}: stopping {step.Old.Count} previous container(s); the new ones stay (rollout.rollback_on_failure is off)");
            }

            return;
        }

        // Every switch back first (the traffic), every clean-up after.
        foreach (var step in attempt.Steps)
        {
            if (step.Moved && step.Old.Count > 0)
            {
                await SwitchBackAsync(attempt, step);
            }
            else
            {
                await StopGuardAsync(step);
            }
        }

        // A service with nothing before it (a first deploy) has nothing to switch back to: its new containers stay.
        foreach (var step in Enumerable.Reverse(attempt.Steps).Where(s => !s.Moved || s.Old.Count > 0))
        {
            await RemoveAsync(step.Fresh, step.Moved
                ? $"{step.Service.Name}: removing the new container(s); the {step.Old.Count} previous one(s) serve again"
                : $"{step.Service.Name}: removing the new container(s) that did not become ready; the old ones keep serving");
        }

        if (attempt.PendingProbes is { } probes)
        {
            _ = await probes;
        }
    }

    private async Task SwitchBackAsync(Attempt attempt, RolloutStep step)
    {
        await StopGuardAsync(step);
        if (step.Proxy is null || step.NewSlots.Count + step.OldSlots.Count == 0)
        {
            // Not routed: the previous containers, paused while the probes ran, take the work again; removing the new ones
            // completes the switch back.
            if (step.PausedOld.Count > 0)
            {
                _session.Info($"{step.Service.Name}: the {step.PausedOld.Count} previous container(s) resumed and take the work again");
                await ResumeAsync(step);
            }

            attempt.SwitchedBack = true;
            return;
        }

        DateTimeOffset decided, switched;
        if (step.Report is { Tripped: true, Decided: { } guardDecided, Switched: { } guardSwitched })
        {
            (decided, switched) = (guardDecided, guardSwitched);
        }
        else
        {
            decided = _time.GetUtcNow();
            await RuntimeApiAsync(step.Proxy, SwitchBackCommand(step), readOnly: false);
            switched = _time.GetUtcNow();
        }

        attempt.SwitchedBack = true;
        attempt.SwitchTime = switched - decided;
        _session.Info($"{step.Service.Name}: traffic switched back to {string.Join(", ", step.OldSlots)} (previous): decided at {Stamp(decided)}, taken by the proxy at {Stamp(switched)}; "
            + $"{string.Join(", ", step.NewSlots)} (new) in maintenance");
    }

    /// <summary>
    /// Previous slots ready first, then the new ones in maintenance: at no point has the backend no server. The previous
    /// slots' weights go back to the configured ones after (a first traffic step raised them).
    /// </summary>
    private string SwitchBackCommand(RolloutStep step) => HaproxyRuntimeApi.Batch([
        .. step.OldSlots.Select(s => HaproxyRuntimeApi.Ready(_deployment.ProxyBackend, s)),
        .. step.NewSlots.Select(s => HaproxyRuntimeApi.Maint(_deployment.ProxyBackend, s)),
        .. step.OldSlots.Select(s => HaproxyRuntimeApi.ResetWeight(_deployment.ProxyBackend, s)),
    ]);

    /// <summary>Ends the step's guard (its marker removed) and keeps what it saw; a guard that already ended is only read.</summary>
    private async Task StopGuardAsync(RolloutStep step)
    {
        if (step.Guard is null || step.Report is not null)
        {
            return;
        }

        if (!step.Guard.IsCompleted)
        {
            await _session.RunAsync(DockerCli.Exec(step.Proxy!.Id, ["rm", "-f", ProxyTrafficGuard.MarkerOf(_deployment.ProxyBackend)], Endpoint).AcceptingAnyExitCode(), echoOutput: false);
        }

        step.Report = ProxyTrafficGuard.Parse(await step.Guard);
        if (step.Report.Note.Length > 0 && !step.Report.Tripped)
        {
            _session.Warning($"{step.Service.Name}: {step.Report.Note}");
        }
    }

    private static string GuardFailure(RolloutStep step) =>
        $"{step.Service.Name}: the new container(s) answered {step.Report!.Errors} of {step.Report.Responses} request(s) with 5xx after traffic moved, beyond the error budget; "
        + $"the proxy switched back at {Stamp(step.Report.Switched ?? step.Report.Decided ?? DateTimeOffset.MinValue)}";

    private bool IsCanarySlot(HaproxyServer server) =>
        server.Name.StartsWith(_deployment.CanaryServerPrefix, StringComparison.Ordinal) && server.Name[_deployment.CanaryServerPrefix.Length..].All(char.IsAsciiDigit);

    private static HashSet<string> Addresses(IEnumerable<DockerContainer> containers) =>
        containers.Select(c => c.Addresses.Values.FirstOrDefault()).OfType<string>().ToHashSet(StringComparer.Ordinal);

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>One service of a rollout: its previous containers, the new ones, and how traffic moved between them.</summary>
    private sealed class RolloutStep(ComposeAppService service, IReadOnlyList<DockerContainer> old)
    {
        public ComposeAppService Service { get; } = service;

        public IReadOnlyList<DockerContainer> Old { get; } = old;

        public IReadOnlyList<DockerContainer> Fresh { get; set; } = [];

        /// <summary>The running proxy, when the service is routed and had containers to keep warm.</summary>
        public DockerContainer? Proxy { get; init; }

        public IReadOnlyList<string> NewSlots { get; set; } = [];

        public IReadOnlyList<string> OldSlots { get; set; } = [];

        /// <summary>True once the new containers take the service's traffic (or work, for a service that is not routed).</summary>
        public bool Moved { get; set; }

        /// <summary>The previous containers of a service that is not routed, while they are paused (they take no work).</summary>
        public List<string> PausedOld { get; set; } = [];

        public Task<ToolResult>? Guard { get; set; }

        /// <summary>The running guard's id (what it writes beside what it did).</summary>
        public string? GuardId { get; set; }

        /// <summary>The first of two traffic steps, when the guard sends the second.</summary>
        public FirstStep? FirstStep { get; set; }

        /// <summary>When its new containers started (a timestamp of the deployer's clock), and of which version.</summary>
        public long Started { get; init; }

        public string Version { get; init; } = string.Empty;

        public GuardReport? Report { get; set; }
    }
}
