using System.Text.Json;

namespace Slipway.Samples.Worker.Jobs;

/// <summary>The message the API pushes for each new order. Mirrors samples/Api/Orders/Order.cs;
/// a test on each side pins the JSON shape so the copies cannot drift silently.</summary>
public sealed record OrderJob(Guid OrderId, int Attempt, DateTimeOffset EnqueuedAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    /// <summary>Null when the payload is not a job at all: such a message can never succeed, so
    /// the caller dead-letters it instead of retrying.</summary>
    public static OrderJob? TryParse(string payload)
    {
        try
        {
            var job = JsonSerializer.Deserialize<OrderJob>(payload, Json);
            return job is { OrderId: var id, Attempt: > 0 } && id != Guid.Empty ? job : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
