using System.Net;

// Shop.Web: the frontend. It serves the page and /invoices (read from Shop.Billing, so a request crosses
// proxy → web → billing → Postgres), its health at /healthz and its version at /version.
var builder = WebApplication.CreateSlimBuilder(args);
var billingUrl = new Uri(builder.Configuration["Billing:Url"] ?? "http://billing:8080");
builder.Services.AddHttpClient("billing", http =>
{
    http.BaseAddress = billingUrl;
    // Each read attempt has its own deadline (ReadFromBillingAsync); this bounds a write.
    http.Timeout = TimeSpan.FromSeconds(5);
})
    // Short-lived connections: a redeploy of billing replaces its containers, and new connections find the new ones.
    .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) });

var version = Environment.GetEnvironmentVariable("APP_VERSION") is { Length: > 0 } v ? v : "dev";
var app = builder.Build();

app.MapGet("/healthz", () => Results.Ok(new { status = "ready" }));
app.MapGet("/version", () => Results.Ok(new { service = "web", version }));
app.MapGet("/invoices", async (IHttpClientFactory clients, CancellationToken aborted) =>
{
    using var response = await ReadFromBillingAsync(clients.CreateClient("billing"), "/invoices?limit=5", aborted);
    return response.StatusCode == HttpStatusCode.OK
        ? Results.Content(await response.Content.ReadAsStringAsync(), "application/json")
        : Results.Json(new { error = $"billing answered {(int)response.StatusCode}" }, statusCode: 502);
});
app.MapPost("/invoices", async (HttpRequest request, IHttpClientFactory clients) =>
{
    using var body = new StreamContent(request.Body);
    body.Headers.ContentType = new("application/json");
    using var response = await clients.CreateClient("billing").PostAsync(new Uri("/invoices", UriKind.Relative), body);
    return Results.Content(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
});
app.MapGet("/", () => Results.Content($"<!doctype html><title>Shop</title><h1>Shop {WebUtility.HtmlEncode(version)}</h1><p>Invoices: <a href=\"/invoices\">/invoices</a></p>", "text/html"));

await app.RunAsync();

// A read is retried when billing's container goes away under it (a redeploy stops the old ones), or when an attempt
// takes longer than 1.4 s: a new billing container joins the network's DNS as soon as it starts, before it is
// healthy, and its first answers can be slow on a busy host. A retry opens a new connection, which may reach another
// container. Three attempts fit within the 5 s a client gives a request: users see no error.
static async Task<HttpResponseMessage> ReadFromBillingAsync(HttpClient billing, string path, CancellationToken aborted)
{
    for (var attempt = 1; ; attempt++)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(1.4));
        try
        {
            return await billing.GetAsync(new Uri(path, UriKind.Relative), deadline.Token);
        }
        catch (Exception ex) when ((ex is HttpRequestException or OperationCanceledException) && attempt < 3 && !aborted.IsCancellationRequested)
        {
            await Task.Delay(100 * attempt, aborted);
        }
    }
}
