using Npgsql;

namespace Slipway.Samples.Worker.Jobs;

public enum CompletionResult
{
    Processed,
    AlreadyProcessed,
    NotFound,
}

public interface IOrderCompletion
{
    /// <summary>Idempotent: a job delivered twice finds the order already processed.</summary>
    Task<CompletionResult> MarkProcessedAsync(Guid orderId, string processedBy, CancellationToken cancellationToken);
}

public sealed class PostgresOrderCompletion(NpgsqlDataSource dataSource) : IOrderCompletion
{
    public async Task<CompletionResult> MarkProcessedAsync(Guid orderId, string processedBy, CancellationToken cancellationToken)
    {
        // One round trip: the update, and (from the statement's snapshot) whether the row exists.
        await using var command = dataSource.CreateCommand(
            """
            WITH updated AS (
                UPDATE orders SET status = 'processed', processed_at = now(), processed_by = $2
                WHERE id = $1 AND status = 'pending'
                RETURNING id)
            SELECT EXISTS (SELECT 1 FROM updated), EXISTS (SELECT 1 FROM orders WHERE id = $1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = orderId });
        command.Parameters.Add(new NpgsqlParameter { Value = processedBy });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetBoolean(0) ? CompletionResult.Processed
            : reader.GetBoolean(1) ? CompletionResult.AlreadyProcessed
            : CompletionResult.NotFound;
    }
}
