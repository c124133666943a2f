using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Worker.Jobs;

/// <summary>What to do with a job after handling it.</summary>
public abstract record JobOutcome
{
    public sealed record Done(string Detail) : JobOutcome;

    public sealed record Retry(string RetryPayload, TimeSpan After, string Reason) : JobOutcome;

    public sealed record DeadLetter(string Reason) : JobOutcome;
}

/// <summary>Decides the fate of one job; it never touches the queue, which keeps every rule here
/// testable with a fake <see cref="IOrderCompletion"/>.</summary>
public sealed class OrderJobHandler(IOrderCompletion completion, WorkerSettings settings, string processedBy, Func<TimeSpan, CancellationToken, Task> delay)
{
    public async Task<JobOutcome> HandleAsync(string payload, CancellationToken cancellationToken)
    {
        var job = OrderJob.TryParse(payload);
        if (job is null)
        {
            return new JobOutcome.DeadLetter("payload is not an order job");
        }

        try
        {
            switch (settings.Faults.Mode)
            {
                case FaultMode.Errors:
                    throw new InvalidOperationException("fault injected (FAULT_MODE=errors)");
                case FaultMode.Slow:
                    await delay(settings.Faults.Delay, cancellationToken);
                    break;
            }

            return await completion.MarkProcessedAsync(job.OrderId, processedBy, cancellationToken) switch
            {
                CompletionResult.Processed => new JobOutcome.Done($"order {job.OrderId} processed"),
                CompletionResult.AlreadyProcessed => new JobOutcome.Done($"order {job.OrderId} was already processed"),
                // The API enqueues before it commits, so a very young job may arrive first.
                _ => RetryOrGiveUp(job, "order not found (yet)"),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return RetryOrGiveUp(job, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private JobOutcome RetryOrGiveUp(OrderJob job, string reason)
    {
        if (job.Attempt >= settings.MaxAttempts)
        {
            return new JobOutcome.DeadLetter($"gave up after {job.Attempt} attempt(s): {reason}");
        }

        // Linear backoff, short: long enough for an in-flight commit or a database failover
        // blip, short enough that a healthy queue is never held up for long.
        var after = TimeSpan.FromMilliseconds(200 * job.Attempt);
        return new JobOutcome.Retry((job with { Attempt = job.Attempt + 1 }).Serialize(), after, reason);
    }
}
