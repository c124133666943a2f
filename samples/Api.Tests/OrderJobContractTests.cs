using Slipway.Samples.Api.Orders;

namespace Slipway.Samples.Api.Tests;

public class OrderJobContractTests
{
    /// <summary>The worker parses exactly this shape (see Worker.Tests' twin of this test).</summary>
    [Fact]
    public void The_job_payload_shape_is_pinned()
    {
        var job = new OrderJob(Guid.Parse("0193a5e0-0000-7000-8000-000000000001"), 1, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        Assert.Equal(
            """{"orderId":"0193a5e0-0000-7000-8000-000000000001","attempt":1,"enqueuedAt":"2025-01-02T03:04:05+00:00"}""",
            RedisOrderJobPublisher.Serialize(job));
    }
}
