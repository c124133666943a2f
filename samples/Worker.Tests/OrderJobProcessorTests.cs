using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker.Jobs;

namespace Slipway.Samples.Worker.Tests;

public class OrderJobProcessorTests
{
    private readonly InMemoryJobSource _source = new();
    private readonly FakeOrderCompletion _orders = new();
    private readonly RecordedDelays _delays = new();

    private OrderJobProcessor Processor(int maxAttempts = 3) => new(
        _source,
        new OrderJobHandler(_orders, new WorkerSettings("Host=unused", "unused:6379", maxAttempts, FaultSettings.None), "worker@test", _delays.Delay),
        new ProcessingHeartbeat(TimeProvider.System),
        NullLogger<OrderJobProcessor>.Instance,
        _delays.Delay);

    private void Enqueue(Guid id) => _source.Queue.AddFirst(new OrderJob(id, 1, DateTimeOffset.UnixEpoch).Serialize());

    [Fact]
    public async Task An_empty_queue_reports_nothing_done()
    {
        Assert.False(await Processor().ProcessNextAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_stalled_worker_takes_no_job_and_leaves_it_queued()
    {
        var id = Guid.NewGuid();
        _orders.Orders[id] = "pending";
        Enqueue(id);
        var stalled = new OrderJobProcessor(
            _source,
            new OrderJobHandler(_orders, new WorkerSettings("Host=unused", "unused:6379", 3, new FaultSettings(FaultMode.Stall, TimeSpan.Zero)), "worker@test", _delays.Delay),
            new ProcessingHeartbeat(TimeProvider.System),
            NullLogger<OrderJobProcessor>.Instance,
            _delays.Delay,
            FaultMode.Stall);

        Assert.False(await stalled.ProcessNextAsync(CancellationToken.None));

        Assert.Single(_source.Queue);
        Assert.Empty(_source.Processing);
        Assert.Empty(_orders.Calls);
        Assert.Equal("pending", _orders.Orders[id]);
    }

    [Fact]
    public async Task Jobs_are_taken_in_arrival_order_and_acknowledged()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        _orders.Orders[first] = _orders.Orders[second] = "pending";
        Enqueue(first);
        Enqueue(second);
        var processor = Processor();

        Assert.True(await processor.ProcessNextAsync(CancellationToken.None));
        Assert.True(await processor.ProcessNextAsync(CancellationToken.None));

        Assert.Equal([first, second], _orders.Calls.Select(c => c.OrderId));
        Assert.Equal(2, _source.Acknowledged.Count);
        Assert.Empty(_source.Processing);
    }

    [Fact]
    public async Task A_failing_job_is_requeued_until_max_attempts_then_dead_lettered()
    {
        var id = Guid.NewGuid();
        Enqueue(id);
        var processor = Processor(maxAttempts: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(await processor.ProcessNextAsync(CancellationToken.None));
        }

        Assert.Empty(_source.Queue);
        Assert.Empty(_source.Processing);
        var (payload, reason) = Assert.Single(_source.Dead);
        Assert.Equal(3, OrderJob.TryParse(payload)?.Attempt);
        Assert.StartsWith("gave up after 3", reason, StringComparison.Ordinal);
        Assert.Equal([TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)], _delays.Requested);
    }

    [Fact]
    public async Task Jobs_left_in_flight_by_a_dead_worker_are_recovered()
    {
        var id = Guid.NewGuid();
        _orders.Orders[id] = "pending";
        _source.Processing.Add(new OrderJob(id, 1, DateTimeOffset.UnixEpoch).Serialize());

        Assert.Equal(1, await _source.RecoverInFlightAsync(CancellationToken.None));
        Assert.True(await Processor().ProcessNextAsync(CancellationToken.None));
        Assert.Equal("processed", _orders.Orders[id]);
    }

    [Fact]
    public async Task Readiness_fails_when_the_loop_stops_beating()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var heartbeat = new ProcessingHeartbeat(clock);
        var check = new ProcessingLoopCheck(heartbeat);

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await check.CheckAsync(CancellationToken.None));

        clock.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal("no progress for 35 s", await check.CheckAsync(CancellationToken.None));

        heartbeat.Beat();
        Assert.Null(await check.CheckAsync(CancellationToken.None));
    }
}
