using System.Globalization;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Canary;

/// <summary>
/// Walks a canary through the matrix's steps: start it beside the stable release with no traffic, then per step set the
/// weight and, every analysis interval, run the SLO probes and judge what the router saw of the canary (error rate,
/// p95). All steps passed: promote. More failed analyses than the failure limit, a manual Abort, or Ctrl+C: abort
/// (weight 0, canary removed, stable untouched). Every step, analysis and decision is printed and appended to the
/// ledger; <see cref="CanaryState"/> is written after each, so the next run resumes a killed one.
/// </summary>
public sealed class CanaryController
{
    private static readonly TimeSpan RequestPoll = TimeSpan.FromSeconds(1);
    private readonly CanarySetup _setup;
    private readonly ICanaryTraffic _traffic;
    private readonly IToolSession _session;
    private readonly ReleaseLedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>Creates a controller; <paramref name="session"/>'s cancellation (Ctrl+C) makes a running canary abort.</summary>
    public CanaryController(CanarySetup setup, ICanaryTraffic traffic, IToolSession session, ReleaseLedger ledger, TimeProvider time)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        _traffic = traffic ?? throw new ArgumentNullException(nameof(traffic));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private CanaryPlan Plan => _setup.Plan;

    /// <summary>
    /// Runs the canary of <paramref name="release"/> against <paramref name="stable"/> to its end. A canary of the same
    /// release left by a killed run is resumed where it stopped; one of another release is aborted first.
    /// </summary>
    public async Task<CanaryOutcome> RunAsync(CanaryRelease release, string stable, string who)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (_session.IsDryRun)
        {
            return await DryRunAsync(release, stable);
        }

        var state = CanaryState.Read(_setup.StateDirectory);
        if (state is not null && state.Release.Version != release.Version)
        {
            _session.Warning($"A canary of {state.Release.Version} (left by {state.Owner}, {state.Phase.ToString().ToLowerInvariant()}) is still in {_setup.Environment}: aborting it before the canary of {release.Version}.");
            await AbortAsync(state, $"superseded by the canary of {release.Version}", who);
            state = null;
        }

        if (state is null)
        {
            state = new CanaryState(release, stable, CanaryPhase.Starting, 0, TimeSpan.Zero, 0, 0, 0, Owner(who), _time.GetUtcNow());
            Save(state);
            _session.Info($"Canary of {release.Version} beside {stable} in {_setup.Environment}: {DescribePlan()}");
            Record(state, LedgerAction.CanaryStep, $"canary started beside {stable}: {DescribePlan()}", TimeSpan.Zero, who);
        }
        else
        {
            _session.Info($"Resuming the canary of {release.Version} left by {state.Owner}: {state.Phase.ToString().ToLowerInvariant()}, step {state.Step + 1}/{Plan.Steps.Count}, "
                + $"{Format(state.StepElapsed)} of it analysed, {state.Failures} failed analysis(es) of {state.Analyses}.");
            state = state with { Owner = Owner(who) };
            Save(state);
        }

        try
        {
            return state.Phase switch
            {
                CanaryPhase.Promoting => await PromoteAsync(state, "resumed promotion", who),
                CanaryPhase.Aborting => await AbortAsync(state, "resumed abort", who),
                _ => await WalkAsync(state, who),
            };
        }
        catch (OperationCanceledException) when (_session.CancellationToken.IsCancellationRequested)
        {
            var current = CanaryState.Read(_setup.StateDirectory) ?? state;
            if (current.Phase == CanaryPhase.Promoting)
            {
                return new CanaryOutcome(false, $"Interrupted while promoting {release.Version}: run Canary again to finish the promotion.");
            }

            return await AbortAsync(current, "interrupted (Ctrl+C or SIGTERM)", who);
        }
    }

    /// <summary>Promotes the canary in progress now (a manual <c>Promote</c>), skipping its remaining steps.</summary>
    public async Task<CanaryOutcome> PromoteNowAsync(string who)
    {
        var state = CanaryState.Read(_setup.StateDirectory) ?? throw new InvalidOperationException(NoCanary);
        Record(state, LedgerAction.CanaryStep, $"promote by hand by {who} at step {state.Step + 1}/{Plan.Steps.Count} ({state.Weight} %)", TimeSpan.Zero, who);
        return await PromoteAsync(state, $"promoted by hand by {who}", who);
    }

    /// <summary>Aborts the canary in progress now (a manual <c>Abort</c>).</summary>
    public async Task<CanaryOutcome> AbortNowAsync(string who)
    {
        var state = CanaryState.Read(_setup.StateDirectory) ?? throw new InvalidOperationException(NoCanary);
        return await AbortAsync(state, $"aborted by hand by {who}", who);
    }

    private string NoCanary => $"No canary is in progress in {_setup.Environment} ({Path.Combine(_setup.StateDirectory, CanaryState.FileName)} does not exist). Start one with: ./build.sh --target Canary --env {_setup.Environment}";

    private async Task<CanaryOutcome> WalkAsync(CanaryState state, string who)
    {
        var token = _session.CancellationToken;
        if (state.Phase == CanaryPhase.Starting)
        {
            try
            {
                await _traffic.StartAsync(state.Release, token);
            }
            catch (Exception e) when (e is DeployStepException or ToolFailedException)
            {
                return await AbortAsync(state, $"the canary did not start: {e.Message}", who);
            }

            state = state with { Phase = CanaryPhase.Analysing };
            Save(state);
        }
        else if (!await _traffic.IsRunningAsync(state.Release, token))
        {
            return await AbortAsync(state, "the canary's containers are gone or unhealthy since the interrupted run", who);
        }

        for (var step = state.Step; step < Plan.Steps.Count; step++)
        {
            var plan = Plan.Steps[step];
            var resumed = step == state.Step ? state.StepElapsed : TimeSpan.Zero;
            await _traffic.SetWeightAsync(plan.Weight, token);
            state = state with { Step = step, StepElapsed = resumed, Weight = plan.Weight };
            Save(state);
            var stepText = $"step {step + 1}/{Plan.Steps.Count}: {plan.Weight} % of traffic to {state.Release.Version} for {plan.Duration}"
                + (resumed > TimeSpan.Zero ? $" ({Format(resumed)} done before the interruption)" : string.Empty);
            _session.Info(stepText + $", analysed every {Plan.AnalysisInterval}");
            Record(state, LedgerAction.CanaryStep, stepText, TimeSpan.Zero, who);

            while (state.StepElapsed < plan.Duration.Value)
            {
                var interval = Min(Plan.AnalysisInterval.Value, plan.Duration.Value - state.StepElapsed);
                var since = _time.GetUtcNow();
                var probes = await _setup.ProbeAsync(token);
                var decision = await WaitAsync(since + interval, token);
                var window = await _traffic.MeasureAsync(since, _time.GetUtcNow(), token);
                var analysis = CanaryAnalysis.Judge(Plan, probes, window);
                state = state with
                {
                    StepElapsed = state.StepElapsed + interval,
                    Analyses = state.Analyses + 1,
                    Failures = state.Failures + (analysis.Passed ? 0 : 1),
                };
                Save(state);
                var line = $"analysis {state.Analyses} (step {step + 1}, {plan.Weight} %): {analysis.Summary}; {state.Failures} failed so far (aborts at {Plan.FailureLimit + 1})";
                if (analysis.Passed)
                {
                    _session.Info(line);
                }
                else
                {
                    _session.Warning(line);
                    _session.Info(probes.Report.TrimEnd('\n'));
                }

                Record(state, LedgerAction.CanaryAnalysis, line, interval, who);
                if (state.Failures > Plan.FailureLimit)
                {
                    return await AbortAsync(state, $"{state.Failures} failed analyses (failure_limit {Plan.FailureLimit}); the last: {string.Join("; ", analysis.Failures)}", who);
                }

                switch (decision)
                {
                    case (CanaryDecision.Abort, var by):
                        return await AbortAsync(state, $"aborted by hand by {by}", who);
                    case (CanaryDecision.Promote, var by):
                        Record(state, LedgerAction.CanaryStep, $"promote by hand by {by} at step {step + 1}/{Plan.Steps.Count} ({plan.Weight} %)", TimeSpan.Zero, who);
                        return await PromoteAsync(state, $"promoted by hand by {by}", who);
                    default:
                        break;
                }
            }
        }

        return await PromoteAsync(state, $"all {Plan.Steps.Count} steps passed ({state.Analyses} analyses, {state.Failures} failed)", who);
    }

    /// <summary>Waits until <paramref name="until"/>, returning early with a manual decision if one is left.</summary>
    private async Task<(CanaryDecision Decision, string Who)?> WaitAsync(DateTimeOffset until, CancellationToken token)
    {
        while (true)
        {
            if (CanaryRequest.Take(_setup.StateDirectory) is { } request)
            {
                _session.Info($"{request.Decision.ToString().ToLowerInvariant()} requested by {request.Who}");
                return request;
            }

            var left = until - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(Min(left, RequestPoll), _time, token);
        }
    }

    private async Task<CanaryOutcome> PromoteAsync(CanaryState state, string why, string who)
    {
        state = state with { Phase = CanaryPhase.Promoting };
        Save(state);
        _session.Info($"Promoting {state.Release.Version}: {why}");

        // The promotion runs to its end once begun, Ctrl+C or not: half a promotion is worse than either outcome.
        var outcome = await _traffic.PromoteAsync(state.Release, who, CancellationToken.None);
        CanaryState.Clear(_setup.StateDirectory);
        return outcome.Action == LedgerAction.Promoted
            ? new CanaryOutcome(true, $"Canary of {state.Release.Version} promoted ({why}): {outcome.Summary}")
            : new CanaryOutcome(false, $"Canary of {state.Release.Version} passed its steps, but its promotion failed: {outcome.Summary}");
    }

    private async Task<CanaryOutcome> AbortAsync(CanaryState state, string why, string who)
    {
        state = state with { Phase = CanaryPhase.Aborting };
        Save(state);
        // The decision's time, to the millisecond: the proxy's log tells how long after it the canary still got requests.
        _session.Warning($"Aborting the canary of {state.Release.Version} (decided at {_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)}): {why}");
        var started = _time.GetTimestamp();

        // Taking the canary's traffic away must finish even after Ctrl+C: a split without an owner is the one state to avoid.
        await _traffic.RemoveAsync(CancellationToken.None);
        var details = $"canary aborted at step {state.Step + 1}/{Plan.Steps.Count} ({state.Weight} %): {why}. Weight 0 and canary removed; {state.Stable} serves all traffic, untouched";
        Record(state, LedgerAction.Aborted, details, _time.GetElapsedTime(started), who);
        CanaryState.Clear(_setup.StateDirectory);
        return new CanaryOutcome(false, $"Canary of {state.Release.Version} {details}.");
    }

    private async Task<CanaryOutcome> DryRunAsync(CanaryRelease release, string stable)
    {
        _session.Info($"would run a canary of {release.Version} beside {stable}: {DescribePlan()}");
        var token = _session.CancellationToken;
        await _traffic.StartAsync(release, token);
        foreach (var step in Plan.Steps)
        {
            _session.Info($"would send {step.Weight} % of traffic to the canary for {step.Duration}, analysing every {Plan.AnalysisInterval}");
            await _traffic.SetWeightAsync(step.Weight, token);
        }

        _session.Info("would promote when every analysis passes, else abort");
        await _traffic.PromoteAsync(release, "dry run", token);
        return new CanaryOutcome(true, "dry run: nothing deployed");
    }

    private string DescribePlan() =>
        string.Join(" → ", Plan.Steps.Select(s => $"{s.Weight} % for {s.Duration}"))
        + $" → 100 %; analysis every {Plan.AnalysisInterval}, canary p95 ≤ {Plan.P95Latency} and error rate ≤ {ProbeResult.Percent(Plan.MaxErrorRate)}, "
        + $"abort after {Plan.FailureLimit + 1} failed analyses";

    private void Save(CanaryState state) => (state with { Updated = _time.GetUtcNow() }).Write(_setup.StateDirectory);

    private void Record(CanaryState state, LedgerAction action, string details, TimeSpan duration, string who) =>
        _ledger.Append(new LedgerEntry(_setup.Environment, state.Release.Version, state.Release.Commit, state.Release.Images, who, _time.GetUtcNow(), action, details, duration));

    private static string Owner(string who) => $"{who} pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Format(TimeSpan span) => DurationText.Format(span);
}

/// <summary>The environment's canary: its plan, where its state lives, and how it probes.</summary>
/// <param name="Environment">The environment's name.</param>
/// <param name="Plan">The matrix's canary section.</param>
/// <param name="StateDirectory">The environment's state directory (absolute).</param>
/// <param name="ProbeAsync">Runs the SLO probes through the environment's entry point.</param>
public sealed record CanarySetup(string Environment, CanaryPlan Plan, string StateDirectory, Func<CancellationToken, Task<ProbeVerdict>> ProbeAsync);

/// <summary>How a canary ended.</summary>
/// <param name="Promoted">True when its release is now the stable one.</param>
/// <param name="Summary">What happened, for people.</param>
public sealed record CanaryOutcome(bool Promoted, string Summary);
