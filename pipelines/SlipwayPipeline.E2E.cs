using System.Net;
using System.Net.Http.Json;
using Slipway.Delivery;
using Slipway.Delivery.Components;

namespace Slipway.Build;

/// <summary>
/// E2ESmoke for the sample stack: its overlay seeds orders (compose/compose.test.yml), its fault injection passes
/// through, and the checks follow an order through the whole stack: API → Redis → Worker → Postgres → API.
/// </summary>
public sealed partial class SlipwayPipeline
{
    /// <summary>The seeded order the checks read back (compose/seed/01-seed.sql).</summary>
    private const string SeededOrderId = "00000000-0000-7000-8000-000000000003";

    private static readonly TimeSpan SingleRequestTimeout = IE2ESmoke.RequestTimeout + TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Schema first (as a deploy does), then the seed rows the checks read back.</summary>
    public IEnumerable<string> E2EOneOffs => ["migrate", "seed"];

    /// <summary>The stack's fault injection, so a deliberately bad stack shows what a failure looks like.</summary>
    public IEnumerable<string> E2EPassThroughVariables => ["FAULT_MODE", "FAULT_DELAY_MS"];

    /// <summary>Ready, the right build, seeded data, a new order processed end to end, and the listing.</summary>
    public IEnumerable<SmokeCheck> SmokeChecks(SmokeCheckContext stack)
    {
        var http = stack.Http;
        var created = new Uri("/", UriKind.Relative);
        return
        [
            ((IE2ESmoke)this).ReadyCheck(stack),
            new SmokeCheck("fresh build: GET /version", SingleRequestTimeout, async (_, cancellationToken) =>
            {
                var reported = (await SmokeHttp.GetJsonAsync(http, "/version", HttpStatusCode.OK, cancellationToken)).GetProperty("version").GetString();
                var expected = stack.ImageVersions.GetValueOrDefault("api", stack.Release.Version);
                return reported == expected
                    ? $"version {reported}{(expected == stack.Release.Version ? string.Empty : $" (its image, unchanged, is reused in {stack.Release.Version})")}"
                    : throw new InvalidOperationException($"the api reports version {reported}, but Build made its image as {expected}: the stack is not running the fresh images");
            }),
            new SmokeCheck("seeded order: GET /orders/{id}", SingleRequestTimeout, async (_, cancellationToken) =>
            {
                var order = await SmokeHttp.GetJsonAsync(http, $"/orders/{SeededOrderId}", HttpStatusCode.OK, cancellationToken);
                var item = order.GetProperty("item").GetString();
                return item == "seed-gear" && order.GetProperty("status").GetString() == "processed"
                    ? $"{item}, processed"
                    : throw new InvalidOperationException($"the seeded order {SeededOrderId} reads back as {order}: expected item seed-gear, status processed");
            }),
            new SmokeCheck("new order processed: POST /orders, then GET until processed", TimeSpan.FromSeconds(20), async (progress, cancellationToken) =>
            {
                progress.Saw("POST /orders sent, no answer yet");
                using var response = await http.PostAsJsonAsync(SmokeHttp.Relative("/orders"), new { item = "e2e-smoke", quantity = 2 }, cancellationToken);
                if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is not { } location)
                {
                    throw new InvalidOperationException($"POST /orders answered {SmokeHttp.Describe(response.StatusCode)} {SmokeHttp.Shorten(await response.Content.ReadAsStringAsync(cancellationToken))}; expected 201 with a Location");
                }

                created = location;
                progress.Saw($"created {location}, status pending");
                while (true)
                {
                    // Processed means the job went API → Redis → Worker → Postgres, and the API reads it back.
                    var status = (await SmokeHttp.GetJsonAsync(http, location.ToString(), HttpStatusCode.OK, cancellationToken)).GetProperty("status").GetString();
                    progress.Saw($"{location} status {status}");
                    if (status == "processed")
                    {
                        return $"{location} processed";
                    }

                    await Task.Delay(PollInterval, cancellationToken);
                }
            }),
            new SmokeCheck("listing: GET /orders?limit=5", SingleRequestTimeout, async (_, cancellationToken) =>
            {
                var orders = await SmokeHttp.GetJsonAsync(http, "/orders?limit=5", HttpStatusCode.OK, cancellationToken);
                var ids = orders.EnumerateArray().Select(o => o.GetProperty("id").GetString()).ToList();
                return ids.Count > 0 && created.ToString().EndsWith(ids[0]!, StringComparison.Ordinal) && ids.Contains(SeededOrderId)
                    ? $"{ids.Count} orders, newest first"
                    : throw new InvalidOperationException($"GET /orders?limit=5 listed [{string.Join(", ", ids)}]: expected the new order first and the seeded ones after it");
            }),
        ];
    }
}
