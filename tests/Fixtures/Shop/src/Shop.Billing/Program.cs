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

// Warm before listening: a new container joins the network's DNS when it starts, before it is healthy, and web calls
// billing by that name. Until Kestrel listens, a connection to it is refused and the caller's connect moves on to the
// next address, an older container; so open the pool and run the read once first, and the first request routed here
// does not pay for them.
try
{
    using var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(5));
    await ReadInvoicesAsync(database, 1, warmUp.Token);
}
catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
{
    Console.WriteLine($"billing: not warmed ({ex.Message}); /healthz says when the database answers");
}

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
app.MapGet("/invoices", async (int? limit) => Results.Ok(await ReadInvoicesAsync(database, Math.Clamp(limit ?? 10, 1, 100), CancellationToken.None)));
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

static async Task<List<Invoice>> ReadInvoicesAsync(NpgsqlDataSource database, int limit, CancellationToken cancellation)
{
    await using var query = database.CreateCommand("SELECT id, customer, amount FROM invoices ORDER BY id DESC LIMIT $1");
    query.Parameters.AddWithValue(limit);
    await using var reader = await query.ExecuteReaderAsync(cancellation);
    var invoices = new List<Invoice>();
    while (await reader.ReadAsync(cancellation))
    {
        invoices.Add(new Invoice(reader.GetInt64(0), reader.GetString(1), reader.GetDecimal(2)));
    }

    return invoices;
}

internal sealed record Invoice(long Id, string Customer, decimal Amount);

internal sealed record NewInvoice(string Customer, decimal Amount);
