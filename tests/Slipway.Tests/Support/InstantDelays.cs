using System.Collections.Concurrent;

namespace Slipway.Tests.Support;

/// <summary>
/// A clock whose delays end at once: every timer fires straight away on the thread pool, its due time is recorded, and
/// the clock moves forward by it. A polling loop with a timeout therefore reaches its timeout after the right number
/// of polls without waiting; time between delays passes as it really does.
/// </summary>
public sealed class InstantDelays : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();
    private long _skippedTicks;

    /// <summary>The due time of every timer created, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays => [.. _delays];

    /// <summary>How far the clock has moved ahead of real time.</summary>
    public TimeSpan Skipped => TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));

    public override long GetTimestamp() =>
        base.GetTimestamp() + (long)((Int128)Interlocked.Read(ref _skippedTicks) * TimestampFrequency / TimeSpan.TicksPerSecond);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Skipped;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        if (dueTime > TimeSpan.Zero)
        {
            Interlocked.Add(ref _skippedTicks, dueTime.Ticks);
        }

        // Fired on the thread pool, after Task.Delay has stored the timer it is creating.
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
