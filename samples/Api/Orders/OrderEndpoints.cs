namespace Slipway.Samples.Api.Orders;

public static class OrderEndpoints
{
    public const int DefaultListLimit = 20;
    public const int MaxListLimit = 100;

    public static void MapOrders(this IEndpointRouteBuilder routes)
    {
        var orders = routes.MapGroup("/orders");
        orders.MapPost("/", CreateAsync);
        orders.MapGet("/{id:guid}", GetAsync);
        orders.MapGet("/", ListAsync);
    }

    private static async Task<IResult> CreateAsync(
        CreateOrderRequest request,
        IOrderStore store,
        IOrderJobPublisher jobs,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        // Version 7 ids sort by creation time, which keeps the primary key index append-only.
        var draft = new Order(Guid.CreateVersion7(), request.Item!.Trim(), request.Quantity!.Value, OrderStatus.Pending, clock.GetUtcNow(), null);
        var created = await store.CreateAsync(
            draft,
            (order, ct) => jobs.EnqueueAsync(new OrderJob(order.Id, 1, clock.GetUtcNow()), ct),
            cancellationToken);
        return Results.Created($"/orders/{created.Id}", created);
    }

    private static async Task<IResult> GetAsync(Guid id, IOrderStore store, CancellationToken cancellationToken)
    {
        var order = await store.FindAsync(id, cancellationToken);
        return order is null ? Results.NotFound() : Results.Ok(order);
    }

    private static async Task<IResult> ListAsync(IOrderStore store, CancellationToken cancellationToken, int? limit = null)
    {
        var take = limit ?? DefaultListLimit;
        if (take is < 1 or > MaxListLimit)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["limit"] = [$"1 to {MaxListLimit}"],
            });
        }

        return Results.Ok(await store.ListRecentAsync(take, cancellationToken));
    }
}
