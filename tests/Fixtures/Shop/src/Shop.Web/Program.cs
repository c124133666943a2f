using System.Net;

// Shop.Web: the frontend. It serves the page and /invoices (read from Shop.Billing, so a request crosses
// proxy → web → billing → Postgres), its health at /healthz and its version at /version.
var builder = WebApplication.CreateSlimBuilder(args);
var billingUrl = new Uri(builder.Configuration["Billing:Url"] ?? "http://billing:8080");
builder.Services.AddHttpClient("billing", http =>
{
    http.BaseAddress = billingUrl;
    http.Timeout = TimeSpan.FromSeconds(5);
})
    // Short-lived connections: a redeploy of billing replaces its containers, and new connections find the new ones.
    .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) });

var version = Environment.GetEnvironmentVariable("APP_VERSION") is { Length: > 0 } v ? v : "dev";
var app = builder.Build();

app.MapGet("/healthz", () => Results.Ok(new { status = "ready" }));
app.MapGet("/version", () => Results.Ok(new { service = "web", version }));
app.MapGet("/invoices", async (IHttpClientFactory clients) =>
{
    using var response = await ReadFromBillingAsync(clients.CreateClient("billing"), "/invoices?limit=5");
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

// A read is retried when billing's container goes away under it (a redeploy stops the old ones): users see no error.
static async Task<HttpResponseMessage> ReadFromBillingAsync(HttpClient billing, string path)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await billing.GetAsync(new Uri(path, UriKind.Relative));
        }
        catch (HttpRequestException) when (attempt < 4)
        {
            await Task.Delay(200 * attempt);
        }
    }
}
