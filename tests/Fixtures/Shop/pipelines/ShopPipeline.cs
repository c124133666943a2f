using System.Net;
using System.Net.Http.Json;
using Slipway.Delivery;
using Slipway.Delivery.Components;
using Slipway.Targets;

namespace Shop.Build;

/// <summary>
/// Shop's pipeline: what `dotnet new slipway -n Shop --frontend web --backend billing` scaffolded, plus the one thing
/// only Shop knows: its smoke check, an invoice written through the frontend and read back (web → billing → Postgres).
/// </summary>
public sealed class ShopPipeline : Pipeline,
    IMachine, IDotNetTests, ISupplyChain, ICanary, IE2ESmoke, IHelmChart, IGitHubWorkflows, IGitHubReleases
{
    public override string Title => "Shop";

    protected override Target DefaultTarget => ((IDelivery)this).DeployDev;

    /// <summary>Ready, then an invoice through the whole stack.</summary>
    public IEnumerable<SmokeCheck> SmokeChecks(SmokeCheckContext stack) =>
    [
        ((IE2ESmoke)this).ReadyCheck(stack),
        new SmokeCheck("invoice round trip: POST /invoices, then GET /invoices", TimeSpan.FromSeconds(20), async (progress, cancellationToken) =>
        {
            using var created = await stack.Http.PostAsJsonAsync(SmokeHttp.Relative("/invoices"), new { customer = "smoke", amount = 12.5m }, cancellationToken);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /invoices answered {SmokeHttp.Describe(created.StatusCode)}; expected 201");
            }

            progress.Saw("invoice created");
            var listed = await SmokeHttp.GetJsonAsync(stack.Http, "/invoices", HttpStatusCode.OK, cancellationToken);
            return listed.EnumerateArray().Any(i => i.GetProperty("customer").GetString() == "smoke")
                ? "the new invoice reads back through web and billing"
                : throw new InvalidOperationException($"GET /invoices does not list the new invoice: {listed}");
        }),
    ];
}
