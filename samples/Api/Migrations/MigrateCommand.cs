using Npgsql;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Api.Migrations;

/// <summary><c>dotnet Api.dll migrate</c>: the pipeline's gated migration step. Runs apart from
/// the web app so a deploy can migrate once, check, then roll out — replicas never race to
/// migrate on start.</summary>
public static class MigrateCommand
{
    public const string Name = "migrate";

    /// <returns>0 applied or nothing to do; 1 a migration failed; 2 configuration error.</returns>
    public static async Task<int> RunAsync(IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var errors = new List<string>();
        var connectionString = ConnectionSettings.ReadPostgres(configuration, errors);
        if (errors.Count > 0)
        {
            foreach (var message in errors)
            {
                await error.WriteLineAsync($"migrate: {message}");
            }

            return 2;
        }

        try
        {
            var migrations = EmbeddedMigrations.Load();
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            var runner = new MigrationRunner(new PostgresMigrationStore(connection), output);
            await runner.RunAsync(migrations, cancellationToken);
            return 0;
        }
        catch (MigrationException ex)
        {
            await error.WriteLineAsync($"migrate failed: {ex.Message}");
            return 1;
        }
        catch (NpgsqlException ex)
        {
            // Connection and authentication failures; Npgsql's messages never include the password.
            await error.WriteLineAsync($"migrate failed: cannot use the database: {ex.Message}");
            return 1;
        }
    }
}
