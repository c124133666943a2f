using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker.Jobs;

namespace Slipway.Samples.Worker;

/// <summary>Proof that the processing loop is still turning; readiness fails when it stalls,
/// which is the failure a worker's HTTP endpoint would otherwise hide.</summary>
public sealed class ProcessingHeartbeat(TimeProvider clock)
{
    private long _lastBeatTicks = clock.GetUtcNow().UtcTicks;

    public DateTimeOffset LastBeat => new(Interlocked.Read(ref _lastBeatTicks), TimeSpan.Zero);

    public void Beat() => Interlocked.Exchange(ref _lastBeatTicks, clock.GetUtcNow().UtcTicks);

    public TimeSpan Age => clock.GetUtcNow() - LastBeat;
}

public sealed class ProcessingLoopCheck(ProcessingHeartbeat heartbeat) : IDependencyCheck
{
    /// <summary>Well above the idle poll interval and a slow job, well below a probe's patience.</summary>
    public static readonly TimeSpan MaxSilence = TimeSpan.FromSeconds(30);

    public string Name => "processing-loop";

    public Task<string?> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(
        heartbeat.Age > MaxSilence ? $"no progress for {heartbeat.Age.TotalSeconds:F0} s" : null);
}

/// <summary>Takes jobs one at a time and applies the handler's verdict to the queue.</summary>
public sealed class OrderJobProcessor(
    IOrderJobSource source,
    OrderJobHandler handler,
    ProcessingHeartbeat heartbeat,
    ILogger<OrderJobProcessor> logger,
    Func<TimeSpan, CancellationToken, Task> delay,
    FaultMode faults = FaultMode.None) : BackgroundService
{
    /// <summary>How long to wait when the queue is empty (see RedisOrderJobSource.TakeAsync for
    /// why this polls instead of blocking).</summary>
    public static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Pause after an infrastructure error (Redis down), so the loop does not spin.</summary>
    public static readonly TimeSpan ErrorDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                heartbeat.Beat();
                if (!await ProcessNextAsync(stoppingToken))
                {
                    await delay(IdleDelay, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ProcessorLog.QueueUnavailable(logger, ErrorDelay, ex.Message);
                await delay(ErrorDelay, stoppingToken);
            }
        }
    }

    /// <summary>Handles one job if there is one; false when the queue was empty.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
    {
        if (faults == FaultMode.Stall)
        {
            // FAULT_MODE=stall: the loop turns (the heartbeat keeps readiness green) and takes nothing, so every order
            // stays pending: the bad worker release only a transaction probe catches.
            return false;
        }

        var payload = await source.TakeAsync(cancellationToken);
        if (payload is null)
        {
            return false;
        }

        switch (await handler.HandleAsync(payload, cancellationToken))
        {
            case JobOutcome.Done done:
                await source.AcknowledgeAsync(payload, cancellationToken);
                ProcessorLog.JobDone(logger, done.Detail);
                break;
            case JobOutcome.Retry retry:
                ProcessorLog.JobRetried(logger, retry.After, retry.Reason);
                // The job stays in the processing list while we wait, so a crash here loses nothing.
                await delay(retry.After, cancellationToken);
                await source.RetryAsync(payload, retry.RetryPayload, cancellationToken);
                break;
            case JobOutcome.DeadLetter dead:
                ProcessorLog.JobDeadLettered(logger, dead.Reason);
                await source.DeadLetterAsync(payload, dead.Reason, cancellationToken);
                break;
        }

        return true;
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            var recovered = await source.RecoverInFlightAsync(cancellationToken);
            if (recovered > 0)
            {
                ProcessorLog.Recovered(logger, recovered);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: the jobs stay in the processing list and the next start recovers them.
            ProcessorLog.RecoveryFailed(logger, ex.Message);
        }
    }
}

/// <summary>Source-generated log messages: no formatting cost when the level is off.</summary>
internal static partial class ProcessorLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Queue unavailable, retrying in {Delay}: {Error}")]
    public static partial void QueueUnavailable(ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Detail}")]
    public static partial void JobDone(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job will be retried in {After}: {Reason}")]
    public static partial void JobRetried(ILogger logger, TimeSpan after, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job dead-lettered: {Reason}")]
    public static partial void JobDeadLettered(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requeued {Count} job(s) left in flight by a previous run")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not recover in-flight jobs: {Error}")]
    public static partial void RecoveryFailed(ILogger logger, string error);
}
