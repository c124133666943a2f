using System.Collections.Concurrent;

namespace Slipway.Tests.Support;

/// <summary>
/// A clock whose delays end at once: every timer fires straight away on the thread pool, its due time is recorded, and
/// the clock moves forward by it. A polling loop with a timeout therefore reaches its timeout after the right number
/// of polls without waiting. Time between delays passes as it really does, unless the clock is frozen: then only
/// delays move it, so the number of polls before a timeout does not depend on how busy the machine is.
/// </summary>
/// <param name="frozen">True for a clock that stands still between delays.</param>
/// <param name="at">The instant a frozen clock shows before any delay; now when null.</param>
public sealed class InstantDelays(bool frozen = false, DateTimeOffset? at = null) : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();
    private readonly long _frozenTimestamp = System.GetTimestamp();
    private readonly DateTimeOffset _frozenNow = at ?? System.GetUtcNow();
    private long _skippedTicks;

    /// <summary>The due time of every timer created, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays => [.. _delays];

    /// <summary>How far the clock has moved ahead of real time.</summary>
    public TimeSpan Skipped => TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));

    public override long GetTimestamp() =>
        (frozen ? _frozenTimestamp : base.GetTimestamp()) + (long)((Int128)Interlocked.Read(ref _skippedTicks) * TimestampFrequency / TimeSpan.TicksPerSecond);

    public override DateTimeOffset GetUtcNow() => (frozen ? _frozenNow : base.GetUtcNow()) + Skipped;

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
