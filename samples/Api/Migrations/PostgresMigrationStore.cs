using Npgsql;

namespace Slipway.Samples.Api.Migrations;

/// <summary>Keeps one connection for the whole run: the advisory lock is held by the session, so
/// every statement must go through the connection that took it.</summary>
public sealed class PostgresMigrationStore(NpgsqlConnection connection) : IMigrationStore
{
    // Any constant works as long as nothing else in the database uses it; this spells "slipway".
    private const long AdvisoryLockKey = 0x736C69707761;

    public async Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("SELECT pg_advisory_lock($1)", cancellationToken, AdvisoryLockKey);
        return new Unlock(this);
    }

    public Task EnsureHistoryTableAsync(CancellationToken cancellationToken) => ExecuteAsync(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        cancellationToken);

    public async Task<IReadOnlyList<AppliedMigration>> GetAppliedAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AppliedMigration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AppliedMigration(reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    public async Task ApplyAsync(Migration migration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(migration);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The script is trusted code from this assembly, run as a batch; it cannot take
        // parameters. Note: statements that refuse transactions (CREATE INDEX CONCURRENTLY)
        // therefore cannot be used in a migration.
        await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
        {
            await script.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class Unlock(PostgresMigrationStore store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await store.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, AdvisoryLockKey);
    }
}
