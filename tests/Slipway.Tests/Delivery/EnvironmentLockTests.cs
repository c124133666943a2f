using System.Text.Json;
using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>The per-environment deploy lock: contention, waiting, release, leases, stale locks taken over, and --break-lock.</summary>
public sealed class EnvironmentLockTests
{
    // Far above Linux's largest possible pid (2^22), so no process can have it.
    private const int DeadPid = 999_999_999;
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly DateTimeOffset Since = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static string NewPath() => Path.Combine(TestPaths.NewTempDirectory(), "locks", "staging.lock");

    private static LockHolder Other(int pid = 4242, string host = "deploy-box") => new("alice@deploy-box", pid, "1.1.0", Since, host);

    private static void WriteLock(string path, LockHolder holder)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(holder, CamelCase));
    }

    [Fact]
    public void The_second_acquire_fails_and_names_the_holder()
    {
        var path = NewPath();
        var first = LockHolder.Current("1.0.0", TimeProvider.System);

        using var held = EnvironmentLock.TryAcquire(path, first, out var none);
        var second = EnvironmentLock.TryAcquire(path, Other(), out var existing);

        Assert.NotNull(held);
        Assert.Null(none);
        Assert.Null(second);
        Assert.Equal(first, existing);
        var content = File.ReadAllText(path);
        Assert.Contains("\"holder\":", content, StringComparison.Ordinal);
        Assert.Contains($"\"pid\": {Environment.ProcessId}", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_succeeds_when_the_holder_releases_in_time()
    {
        var path = NewPath();
        var held = EnvironmentLock.TryAcquire(path, LockHolder.Current("1.0.0", TimeProvider.System), out _)!;
        // A dedicated thread, so a busy thread pool on a 2-core runner cannot delay the release past the wait.
        var release = Task.Factory.StartNew(
            () =>
            {
                Thread.Sleep(300);
                held.Dispose();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await using var acquired = await EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.1.0", TimeProvider.System), TimeSpan.FromSeconds(2), TimeProvider.System);
        await release;

        Assert.Equal("1.1.0", EnvironmentLock.ReadHolder(path)?.Version);
    }

    [Fact]
    public async Task Waiting_gives_up_with_the_holder_version_since_host_and_break_lock()
    {
        var path = NewPath();
        WriteLock(path, Other());
        var time = new FixedNow(Since.AddMinutes(7));

        var error = await Assert.ThrowsAsync<EnvironmentLockedException>(
            () => EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", time), TimeSpan.FromMilliseconds(300), time));

        Assert.Equal(
            $"The environment is locked by alice@deploy-box (pid 4242 on deploy-box), deploying 1.1.0 since 2026-03-01 09:00:00 UTC, 7m 00s ago; "
            + $"lock file {path}. Wait for that run to finish (--lock-wait), or, if it is gone, rerun with --break-lock to remove the lock.",
            error.Message);
        Assert.False(error.IsStale);
        Assert.Equal(Other(), error.Holder);
    }

    [Fact]
    public async Task A_long_wait_looks_again_at_doubling_intervals_up_to_three_seconds()
    {
        var path = NewPath();
        WriteLock(path, Other());
        var time = new InstantDelays(frozen: true, at: Since.AddMinutes(7));

        await Assert.ThrowsAsync<EnvironmentLockedException>(
            () => EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", time), TimeSpan.FromMinutes(15), time));

        // A look at a lock on a Docker host is one printed docker container create: every 200 ms, a generated job's
        // --lock-wait 15m was 4,500 of them; now 200 ms, 400 ms, ... then every 3 s (a queued deploy starts ≤ 3 s late).
        Assert.Equal([200d, 400, 800, 1600, 3000, 3000], time.Delays.Take(6).Select(d => d.TotalMilliseconds));
        Assert.All(time.Delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(3)));
        Assert.InRange(time.Delays.Count, 300, 306);
    }

    [Fact]
    public async Task A_lock_without_a_lease_left_by_a_dead_process_on_this_host_is_taken_over_at_once_naming_its_owner()
    {
        var path = NewPath();
        var dead = Other(DeadPid, Environment.MachineName);
        WriteLock(path, dead);
        var started = TimeProvider.System.GetTimestamp();
        var previous = new List<LockHolder>();

        await using var taken = await EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", TimeProvider.System), TimeSpan.Zero, TimeProvider.System, previous.Add);

        Assert.True(EnvironmentLock.IsStale(dead));
        Assert.Equal(dead, Assert.Single(previous));
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        Assert.Equal("1.2.0", EnvironmentLock.ReadHolder(path)?.Version);
        Assert.Equal($"alice@deploy-box (pid {DeadPid} on {Environment.MachineName})", dead.Describe());
    }

    [Fact]
    public async Task A_lock_from_another_host_whose_lease_ran_out_is_taken_over_and_one_whose_lease_runs_is_not()
    {
        var path = NewPath();
        var time = new FixedNow(Since.AddMinutes(7));
        var live = Other() with { LeaseExpires = Since.AddMinutes(8), RunUrl = "https://github.com/acme/shop/actions/runs/77" };
        WriteLock(path, live);

        var refused = await Assert.ThrowsAsync<EnvironmentLockedException>(
            () => EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", time), TimeSpan.Zero, time));
        Assert.Contains("locked by alice@deploy-box (pid 4242 on deploy-box, https://github.com/acme/shop/actions/runs/77)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("its lease runs 1m 00s more unless that run renews it, then the next run takes the lock over", refused.Message, StringComparison.Ordinal);

        var expired = live with { LeaseExpires = Since.AddMinutes(6) };
        WriteLock(path, expired);
        var previous = new List<LockHolder>();
        await using var taken = await EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", time), TimeSpan.Zero, time, previous.Add);

        Assert.Equal(expired, Assert.Single(previous));
        Assert.Equal(Environment.ProcessId, EnvironmentLock.ReadHolder(path)?.Pid);
        Assert.True(EnvironmentLock.IsStale(expired, time.GetUtcNow()));
        Assert.False(EnvironmentLock.IsStale(live, time.GetUtcNow()));
    }

    [Fact]
    public async Task A_live_holder_renews_its_lease_and_releasing_stops_the_renewal()
    {
        var path = NewPath();
        var lease = TimeSpan.FromMilliseconds(800);
        var held = await EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.0.0", TimeProvider.System, lease), TimeSpan.Zero, TimeProvider.System);
        var first = EnvironmentLock.ReadHolder(path)!.LeaseExpires!.Value;

        // Renewed every 200 ms: well past the first lease, the lease still runs and names a later expiry.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (EnvironmentLock.ReadHolder(path)!.LeaseExpires <= first + lease && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var renewed = EnvironmentLock.ReadHolder(path)!;
        Assert.True(renewed.LeaseExpires > first + lease, $"lease {first:O} not renewed: {renewed.LeaseExpires:O}");
        Assert.True(held.Holder.IsSameRun(renewed));
        Assert.True(held.Release());
        await Task.Delay(600);
        Assert.False(File.Exists(path), "a renewal after the release must not bring the lock back");
    }

    [Fact]
    public async Task Of_many_runs_that_find_the_same_stale_lock_exactly_one_takes_it_over()
    {
        var path = NewPath();
        var stale = Other() with { LeaseExpires = Since };
        WriteLock(path, stale);
        var time = new FixedNow(Since.AddMinutes(1));

        var attempts = Enumerable.Range(1, 8).Select(i => Task.Factory.StartNew(
            async () =>
            {
                try
                {
                    return await EnvironmentLock.AcquireAsync(path, new LockHolder($"u{i}@h", Environment.ProcessId, $"1.{i}.0", Since, Environment.MachineName) { LeaseExpires = Since.AddHours(1) }, TimeSpan.Zero, time);
                }
                catch (EnvironmentLockedException)
                {
                    return null;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToList();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r is not null);
        Assert.True(winner!.Holder.IsSameRun(EnvironmentLock.ReadHolder(path)));
        await winner.DisposeAsync();
    }

    [Fact]
    public void A_live_process_or_another_host_is_not_stale()
    {
        Assert.False(EnvironmentLock.IsStale(LockHolder.Current("1.0.0", TimeProvider.System)));
        Assert.False(EnvironmentLock.IsStale(Other(DeadPid, "some-other-host")));
        Assert.False(EnvironmentLock.IsStale(Other(DeadPid, "some-other-host") with { LeaseExpires = DateTimeOffset.UtcNow.AddMinutes(1) }));

        // The lease decides, even where the pid says the process is gone: the pid may be another run's in a container.
        Assert.False(EnvironmentLock.IsStale(Other(DeadPid, Environment.MachineName) with { LeaseExpires = DateTimeOffset.UtcNow.AddMinutes(1) }));
    }

    [Fact]
    public void Break_removes_the_lock_and_says_who_held_it()
    {
        var path = NewPath();
        WriteLock(path, Other());

        var broken = EnvironmentLock.Break(path);

        Assert.Equal(Other(), broken);
        Assert.False(File.Exists(path));
        Assert.Null(EnvironmentLock.Break(path));
        using var retaken = EnvironmentLock.TryAcquire(path, LockHolder.Current("1.2.0", TimeProvider.System), out _);
        Assert.NotNull(retaken);
    }

    [Fact]
    public void Release_leaves_a_lock_that_someone_else_took_after_a_break()
    {
        var path = NewPath();
        var mine = EnvironmentLock.TryAcquire(path, LockHolder.Current("1.0.0", TimeProvider.System), out _)!;
        EnvironmentLock.Break(path);
        WriteLock(path, Other());

        Assert.False(mine.Release());
        Assert.Equal(Other(), EnvironmentLock.ReadHolder(path));
    }

    [Fact]
    public void Release_deletes_the_lock_once()
    {
        var path = NewPath();
        var mine = EnvironmentLock.TryAcquire(path, LockHolder.Current("1.0.0", TimeProvider.System), out _)!;

        Assert.True(mine.Release());
        Assert.False(File.Exists(path));
        Assert.False(mine.Release());
    }

    [Fact]
    public async Task Only_one_of_many_concurrent_acquirers_wins()
    {
        var path = NewPath();
        var holders = Enumerable.Range(1, 12).Select(i => new LockHolder($"u{i}@h", Environment.ProcessId, $"1.{i}.0", Since, Environment.MachineName)).ToList();

        var results = await Task.WhenAll(holders.Select(h => Task.Factory.StartNew(() => EnvironmentLock.TryAcquire(path, h, out _), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(winner!.Holder, EnvironmentLock.ReadHolder(path));
        winner.Dispose();
    }

    /// <summary>Real timers, but a fixed wall clock so the "ago" in messages is exact.</summary>
    private sealed class FixedNow(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
