namespace Slipway.Samples.Api.Orders;

/// <summary>An order as stored and as returned by the API.</summary>
public sealed record Order(
    Guid Id,
    string Item,
    int Quantity,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ProcessedAt);

/// <summary>The statuses the schema's CHECK constraint allows.</summary>
public static class OrderStatus
{
    public const string Pending = "pending";
    public const string Processed = "processed";
}

/// <summary>The body of <c>POST /orders</c>. Fields are nullable so a missing field is a 400 with
/// a message, not a deserialisation failure.</summary>
public sealed record CreateOrderRequest(string? Item, int? Quantity)
{
    public const int MaxItemLength = 200;
    public const int MaxQuantity = 1000;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(Item) || Item.Trim().Length > MaxItemLength)
        {
            errors["item"] = [$"required, 1 to {MaxItemLength} characters"];
        }

        if (Quantity is not (>= 1 and <= MaxQuantity))
        {
            errors["quantity"] = [$"required, 1 to {MaxQuantity}"];
        }

        return errors;
    }
}

/// <summary>The message the API pushes to Redis for the worker. The worker has its own copy of
/// this contract (samples/Worker/Jobs/OrderJob.cs); both serialise with web (camelCase) defaults,
/// and each side has a test pinning the JSON shape.</summary>
public sealed record OrderJob(Guid OrderId, int Attempt, DateTimeOffset EnqueuedAt);
