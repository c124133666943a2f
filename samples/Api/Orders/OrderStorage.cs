using System.Text.Json;
using Npgsql;
using StackExchange.Redis;

namespace Slipway.Samples.Api.Orders;

public interface IOrderStore
{
    /// <summary>Inserts the order and runs <paramref name="beforeCommit"/> inside the same
    /// transaction, so a failure to enqueue its job leaves no order that nobody will process.</summary>
    Task<Order> CreateAsync(Order order, Func<Order, CancellationToken, Task> beforeCommit, CancellationToken cancellationToken);

    Task<Order?> FindAsync(Guid id, CancellationToken cancellationToken);

    Task<IReadOnlyList<Order>> ListRecentAsync(int limit, CancellationToken cancellationToken);
}

public interface IOrderJobPublisher
{
    Task EnqueueAsync(OrderJob job, CancellationToken cancellationToken);
}

public sealed class PostgresOrderStore(NpgsqlDataSource dataSource) : IOrderStore
{
    private const string Columns = "id, item, quantity, status, created_at, processed_at";

    public async Task<Order> CreateAsync(Order order, Func<Order, CancellationToken, Task> beforeCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(beforeCommit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            $"INSERT INTO orders (id, item, quantity, status) VALUES ($1, $2, $3, $4) RETURNING {Columns}",
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = order.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = order.Item });
            insert.Parameters.Add(new NpgsqlParameter { Value = order.Quantity });
            insert.Parameters.Add(new NpgsqlParameter { Value = order.Status });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            order = Read(reader);
        }

        // The job may reach the worker a moment before this commit; the worker retries an order
        // it cannot see yet, which is cheaper than an outbox for a sample of this size.
        await beforeCommit(order, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return order;
    }

    public async Task<Order?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM orders WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<Order>> ListRecentAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM orders ORDER BY created_at DESC, id DESC LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var orders = new List<Order>();
        while (await reader.ReadAsync(cancellationToken))
        {
            orders.Add(Read(reader));
        }

        return orders;
    }

    private static Order Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetInt32(2),
        reader.GetString(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}

/// <summary>Pushes jobs on the left of <see cref="QueueKey"/>; the worker moves them from the
/// right into its processing list, which makes the list a FIFO queue.</summary>
public sealed class RedisOrderJobPublisher(IConnectionMultiplexer redis) : IOrderJobPublisher
{
    public const string QueueKey = "orders:jobs";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task EnqueueAsync(OrderJob job, CancellationToken cancellationToken)
    {
        await redis.GetDatabase().ListLeftPushAsync(QueueKey, Serialize(job)).WaitAsync(cancellationToken);
    }

    public static string Serialize(OrderJob job) => JsonSerializer.Serialize(job, Json);
}
