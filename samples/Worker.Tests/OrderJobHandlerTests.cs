using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker.Jobs;

namespace Slipway.Samples.Worker.Tests;

public class OrderJobHandlerTests
{
    private static readonly WorkerSettings Settings = new("Host=unused", "unused:6379", 3, FaultSettings.None);
    private readonly FakeOrderCompletion _orders = new();
    private readonly RecordedDelays _delays = new();

    private OrderJobHandler Handler(WorkerSettings? settings = null) => new(_orders, settings ?? Settings, "worker@1.0.0+abc", _delays.Delay);

    private static string Job(Guid id, int attempt = 1) => new OrderJob(id, attempt, DateTimeOffset.UnixEpoch).Serialize();

    [Fact]
    public async Task A_pending_order_is_marked_processed_by_this_build()
    {
        var id = Guid.NewGuid();
        _orders.Orders[id] = "pending";

        var outcome = await Handler().HandleAsync(Job(id), CancellationToken.None);

        Assert.IsType<JobOutcome.Done>(outcome);
        Assert.Equal("processed", _orders.Orders[id]);
        Assert.Equal([(id, "worker@1.0.0+abc")], _orders.Calls);
    }

    [Fact]
    public async Task A_job_delivered_twice_is_done_both_times()
    {
        var id = Guid.NewGuid();
        _orders.Orders[id] = "processed";

        var outcome = await Handler().HandleAsync(Job(id), CancellationToken.None);

        Assert.Contains("already processed", Assert.IsType<JobOutcome.Done>(outcome).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_not_visible_yet_is_retried_with_the_next_attempt_number()
    {
        var id = Guid.NewGuid();

        var retry = Assert.IsType<JobOutcome.Retry>(await Handler().HandleAsync(Job(id, attempt: 1), CancellationToken.None));

        Assert.Equal(new OrderJob(id, 2, DateTimeOffset.UnixEpoch), OrderJob.TryParse(retry.RetryPayload));
        Assert.Equal(TimeSpan.FromMilliseconds(200), retry.After);
    }

    [Fact]
    public async Task The_last_attempt_goes_to_the_dead_letter_list()
    {
        var dead = Assert.IsType<JobOutcome.DeadLetter>(await Handler().HandleAsync(Job(Guid.NewGuid(), attempt: 3), CancellationToken.None));
        Assert.StartsWith("gave up after 3 attempt(s): order not found", dead.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_error_is_retried_not_lost()
    {
        _orders.FailWith = new TimeoutException("database timeout");

        var retry = Assert.IsType<JobOutcome.Retry>(await Handler().HandleAsync(Job(Guid.NewGuid()), CancellationToken.None));

        Assert.Equal("TimeoutException: database timeout", retry.Reason);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{"orderId":"00000000-0000-0000-0000-000000000000","attempt":1}""")]
    [InlineData("""{"orderId":"0193a5e0-0000-7000-8000-000000000001","attempt":0}""")]
    public async Task A_payload_that_is_not_a_job_is_dead_lettered_at_once(string payload)
    {
        var dead = Assert.IsType<JobOutcome.DeadLetter>(await Handler().HandleAsync(payload, CancellationToken.None));
        Assert.Equal("payload is not an order job", dead.Reason);
        Assert.Empty(_orders.Calls);
    }

    [Fact]
    public async Task Errors_fault_mode_fails_every_job_without_touching_the_database()
    {
        var handler = Handler(Settings with { Faults = new FaultSettings(FaultMode.Errors, TimeSpan.Zero) });

        var retry = Assert.IsType<JobOutcome.Retry>(await handler.HandleAsync(Job(Guid.NewGuid()), CancellationToken.None));

        Assert.Contains("FAULT_MODE=errors", retry.Reason, StringComparison.Ordinal);
        Assert.Empty(_orders.Calls);
    }

    [Fact]
    public async Task Slow_fault_mode_delays_each_job_by_the_configured_delay()
    {
        var id = Guid.NewGuid();
        _orders.Orders[id] = "pending";
        var handler = Handler(Settings with { Faults = new FaultSettings(FaultMode.Slow, TimeSpan.FromMilliseconds(750)) });

        Assert.IsType<JobOutcome.Done>(await handler.HandleAsync(Job(id), CancellationToken.None));
        Assert.Equal([TimeSpan.FromMilliseconds(750)], _delays.Requested);
    }

    /// <summary>Twin of the API's contract test: this is the shape the API publishes.</summary>
    [Fact]
    public void The_payload_the_api_publishes_parses()
    {
        var job = OrderJob.TryParse("""{"orderId":"0193a5e0-0000-7000-8000-000000000001","attempt":1,"enqueuedAt":"2025-01-02T03:04:05+00:00"}""");
        Assert.Equal(new OrderJob(Guid.Parse("0193a5e0-0000-7000-8000-000000000001"), 1, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)), job);
    }
}
