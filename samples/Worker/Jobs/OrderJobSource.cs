using System.Text.Json;
using StackExchange.Redis;

namespace Slipway.Samples.Worker.Jobs;

/// <summary>A reliable queue: a taken job stays in a processing list until it is acknowledged,
/// retried or dead-lettered, so a worker that dies mid-job loses nothing.</summary>
public interface IOrderJobSource
{
    /// <summary>Puts back jobs left in the processing list by a previous run that died.</summary>
    Task<int> RecoverInFlightAsync(CancellationToken cancellationToken);

    /// <summary>The next job's raw payload, or null when the queue is empty.</summary>
    Task<string?> TakeAsync(CancellationToken cancellationToken);

    Task AcknowledgeAsync(string payload, CancellationToken cancellationToken);

    Task RetryAsync(string payload, string retryPayload, CancellationToken cancellationToken);

    Task DeadLetterAsync(string payload, string reason, CancellationToken cancellationToken);
}

public sealed class RedisOrderJobSource(IConnectionMultiplexer redis, TimeProvider clock) : IOrderJobSource
{
    /// <summary>Must match the API's RedisOrderJobPublisher.QueueKey.</summary>
    public const string QueueKey = "orders:jobs";
    public const string ProcessingKey = "orders:jobs:processing";
    public const string DeadLetterKey = "orders:jobs:dead";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Database => redis.GetDatabase();

    public async Task<int> RecoverInFlightAsync(CancellationToken cancellationToken)
    {
        // With several replicas this also requeues a job another worker is running; that is
        // safe because marking an order processed is idempotent, and it keeps the queue simple.
        var recovered = 0;
        while (!(await Database.ListMoveAsync(ProcessingKey, QueueKey, ListSide.Right, ListSide.Right).WaitAsync(cancellationToken)).IsNull)
        {
            recovered++;
        }

        return recovered;
    }

    public async Task<string?> TakeAsync(CancellationToken cancellationToken)
    {
        // LMOVE, not BLMOVE: StackExchange.Redis multiplexes one connection, and a blocking
        // command would stall every other command (readiness pings included) behind it.
        var value = await Database.ListMoveAsync(QueueKey, ProcessingKey, ListSide.Right, ListSide.Left).WaitAsync(cancellationToken);
        return value.IsNull ? null : value.ToString();
    }

    public Task AcknowledgeAsync(string payload, CancellationToken cancellationToken) =>
        Database.ListRemoveAsync(ProcessingKey, payload, 1).WaitAsync(cancellationToken);

    public async Task RetryAsync(string payload, string retryPayload, CancellationToken cancellationToken)
    {
        // One MULTI/EXEC: the job is never in both lists, nor in neither.
        var transaction = Database.CreateTransaction();
        _ = transaction.ListRemoveAsync(ProcessingKey, payload, 1);
        _ = transaction.ListLeftPushAsync(QueueKey, retryPayload);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
    }

    public async Task DeadLetterAsync(string payload, string reason, CancellationToken cancellationToken)
    {
        var entry = JsonSerializer.Serialize(new { payload, reason, failedAt = clock.GetUtcNow() }, Json);
        var transaction = Database.CreateTransaction();
        _ = transaction.ListRemoveAsync(ProcessingKey, payload, 1);
        _ = transaction.ListLeftPushAsync(DeadLetterKey, entry);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
    }
}
