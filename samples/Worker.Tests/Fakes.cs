using Slipway.Samples.Worker.Jobs;

namespace Slipway.Samples.Worker.Tests;

/// <summary>Follows the Redis source's list semantics: a taken job sits in "processing" until
/// acknowledged, retried or dead-lettered.</summary>
internal sealed class InMemoryJobSource : IOrderJobSource
{
    public LinkedList<string> Queue { get; } = new();

    public List<string> Processing { get; } = [];

    public List<(string Payload, string Reason)> Dead { get; } = [];

    public List<string> Acknowledged { get; } = [];

    public Task<int> RecoverInFlightAsync(CancellationToken cancellationToken)
    {
        var count = Processing.Count;
        foreach (var payload in Processing)
        {
            Queue.AddLast(payload);
        }

        Processing.Clear();
        return Task.FromResult(count);
    }

    public Task<string?> TakeAsync(CancellationToken cancellationToken)
    {
        if (Queue.Last is not { } last)
        {
            return Task.FromResult<string?>(null);
        }

        Queue.RemoveLast();
        Processing.Add(last.Value);
        return Task.FromResult<string?>(last.Value);
    }

    public Task AcknowledgeAsync(string payload, CancellationToken cancellationToken)
    {
        Processing.Remove(payload);
        Acknowledged.Add(payload);
        return Task.CompletedTask;
    }

    public Task RetryAsync(string payload, string retryPayload, CancellationToken cancellationToken)
    {
        Processing.Remove(payload);
        Queue.AddFirst(retryPayload);
        return Task.CompletedTask;
    }

    public Task DeadLetterAsync(string payload, string reason, CancellationToken cancellationToken)
    {
        Processing.Remove(payload);
        Dead.Add((payload, reason));
        return Task.CompletedTask;
    }
}

internal sealed class FakeOrderCompletion : IOrderCompletion
{
    public Dictionary<Guid, string> Orders { get; } = [];

    public List<(Guid OrderId, string ProcessedBy)> Calls { get; } = [];

    public Exception? FailWith { get; set; }

    public Task<CompletionResult> MarkProcessedAsync(Guid orderId, string processedBy, CancellationToken cancellationToken)
    {
        Calls.Add((orderId, processedBy));
        if (FailWith is not null)
        {
            throw FailWith;
        }

        if (!Orders.TryGetValue(orderId, out var status))
        {
            return Task.FromResult(CompletionResult.NotFound);
        }

        Orders[orderId] = "processed";
        return Task.FromResult(status == "processed" ? CompletionResult.AlreadyProcessed : CompletionResult.Processed);
    }
}

internal sealed class RecordedDelays
{
    public List<TimeSpan> Requested { get; } = [];

    public Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        Requested.Add(delay);
        return Task.CompletedTask;
    }
}

/// <summary>A clock that moves only when told (the TimeProvider testing package is not pinned
/// here, and this is all the tests need).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
