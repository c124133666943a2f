using Npgsql;

// Shop.Billing: invoices in Postgres. `migrate` is the deploy's migration step (it runs once per deploy, before the
// rollout); the app itself never changes the schema.
var builder = WebApplication.CreateSlimBuilder(args);
var connection = builder.Configuration.GetConnectionString("Postgres")
    ?? throw new InvalidOperationException("ConnectionStrings__Postgres is not set: the stack builds it from POSTGRES_*.");
await using var database = NpgsqlDataSource.Create(connection);

if (args is ["migrate", ..])
{
    await using var migrate = database.CreateCommand(
        "CREATE TABLE IF NOT EXISTS invoices (id bigserial PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, created timestamptz NOT NULL DEFAULT now())");
    await migrate.ExecuteNonQueryAsync();
    Console.WriteLine("billing: schema up to date (invoices)");
    return 0;
}

var version = Environment.GetEnvironmentVariable("APP_VERSION") is { Length: > 0 } v ? v : "dev";
var app = builder.Build();

// Ready when Postgres answers: the proxy and the rollout route only to a billing that can serve.
app.MapGet("/healthz", async () =>
{
    try
    {
        await using var ping = database.CreateCommand("SELECT 1");
        await ping.ExecuteScalarAsync();
        return Results.Ok(new { status = "ready" });
    }
    catch (NpgsqlException ex)
    {
        return Results.Json(new { status = "database unavailable", error = ex.Message }, statusCode: 503);
    }
});
app.MapGet("/version", () => Results.Ok(new { service = "billing", version }));
app.MapGet("/invoices", async (int? limit) =>
{
    await using var query = database.CreateCommand("SELECT id, customer, amount FROM invoices ORDER BY id DESC LIMIT $1");
    query.Parameters.AddWithValue(Math.Clamp(limit ?? 10, 1, 100));
    await using var reader = await query.ExecuteReaderAsync();
    var invoices = new List<Invoice>();
    while (await reader.ReadAsync())
    {
        invoices.Add(new Invoice(reader.GetInt64(0), reader.GetString(1), reader.GetDecimal(2)));
    }

    return Results.Ok(invoices);
});
app.MapPost("/invoices", async (NewInvoice invoice) =>
{
    if (string.IsNullOrWhiteSpace(invoice.Customer) || invoice.Amount <= 0)
    {
        return Results.BadRequest(new { error = "customer and a positive amount are required" });
    }

    await using var insert = database.CreateCommand("INSERT INTO invoices (customer, amount) VALUES ($1, $2) RETURNING id");
    insert.Parameters.AddWithValue(invoice.Customer);
    insert.Parameters.AddWithValue(invoice.Amount);
    var id = (long)(await insert.ExecuteScalarAsync())!;
    return Results.Created($"/invoices/{id}", new Invoice(id, invoice.Customer, invoice.Amount));
});

await app.RunAsync();
return 0;

internal sealed record Invoice(long Id, string Customer, decimal Amount);

internal sealed record NewInvoice(string Customer, decimal Amount);
