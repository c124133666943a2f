using System.Text.Json;
using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>The per-environment deploy lock: contention, waiting, release, stale locks and --break-lock.</summary>
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
            + $"lock file {path}. Wait for that run to finish, or, if it is gone, rerun with --break-lock to remove the lock.",
            error.Message);
        Assert.False(error.IsStale);
        Assert.Equal(Other(), error.Holder);
    }

    [Fact]
    public async Task A_lock_left_by_a_dead_process_on_this_host_is_stale_and_fails_at_once()
    {
        var path = NewPath();
        var dead = Other(DeadPid, Environment.MachineName);
        WriteLock(path, dead);
        var started = TimeProvider.System.GetTimestamp();

        var error = await Assert.ThrowsAsync<EnvironmentLockedException>(
            () => EnvironmentLock.AcquireAsync(path, LockHolder.Current("1.2.0", TimeProvider.System), TimeSpan.FromSeconds(30), TimeProvider.System));

        Assert.True(EnvironmentLock.IsStale(dead));
        Assert.True(error.IsStale);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        Assert.StartsWith($"The environment lock {path} is stale, left by a killed run: alice@deploy-box (pid {DeadPid} on {Environment.MachineName}, no longer running)", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("rerun with --break-lock to remove it.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_live_process_or_another_host_is_not_stale()
    {
        Assert.False(EnvironmentLock.IsStale(LockHolder.Current("1.0.0", TimeProvider.System)));
        Assert.False(EnvironmentLock.IsStale(Other(DeadPid, "some-other-host")));
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
