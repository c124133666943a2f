using Slipway.Delivery;
using Slipway.Processes;

namespace Slipway.Tests.Delivery;

/// <summary>Smoke checks: bounded in time, failures and timeouts are results (with what was seen last), the table.</summary>
public sealed class SmokeCheckTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_passing_check_reports_its_detail_and_duration()
    {
        var check = new SmokeCheck("version", TimeSpan.FromSeconds(5), (_, _) => Task.FromResult("version 1.2.3"));

        var result = await check.RunAsync(CancellationToken.None);

        Assert.Equal(SmokeCheckStatus.Passed, result.Status);
        Assert.Equal("version 1.2.3", result.Detail);
        Assert.True(result.Duration >= TimeSpan.Zero);
    }

    [Fact]
    public async Task A_check_that_throws_fails_with_the_reason_scrubbed_of_secrets()
    {
        var password = new Secret("smoke-check-secret-0c1d", "test");
        var check = new SmokeCheck("seeded order", TimeSpan.FromSeconds(5), (_, _) =>
            throw new InvalidOperationException($"GET /orders/3 answered 500 for password {password.Reveal()}"));

        var result = await check.RunAsync(CancellationToken.None);

        Assert.Equal(SmokeCheckStatus.Failed, result.Status);
        Assert.Equal("GET /orders/3 answered 500 for password ***", result.Detail);
    }

    [Fact]
    public async Task Running_out_of_time_is_a_failure_that_names_what_was_seen_last()
    {
        var check = new SmokeCheck("processed", Short, async (progress, cancellationToken) =>
        {
            progress.Saw("status pending");
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "unreachable";
        });

        var result = await check.RunAsync(CancellationToken.None);

        Assert.Equal(SmokeCheckStatus.Failed, result.Status);
        Assert.Equal("no success within 0.2s; last seen: status pending", result.Detail);
    }

    [Fact]
    public async Task A_polling_check_retries_until_done_and_reports_the_last_answer()
    {
        var attempts = 0;
        var check = SmokeCheck.Polling("ready", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1), _ =>
            Task.FromResult(++attempts < 3 ? (false, "503") : (true, "200 ready")));

        var result = await check.RunAsync(CancellationToken.None);

        Assert.Equal(SmokeCheckStatus.Passed, result.Status);
        Assert.Equal("200 ready", result.Detail);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_polling_check_that_never_gets_there_fails_with_the_last_answer()
    {
        var check = SmokeCheck.Polling("ready", Short, TimeSpan.FromMilliseconds(10), _ => Task.FromResult((false, "503 no server available")));

        var result = await check.RunAsync(CancellationToken.None);

        Assert.Equal(SmokeCheckStatus.Failed, result.Status);
        Assert.EndsWith("last seen: 503 no server available", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_the_run_is_a_cancellation_not_a_failed_check()
    {
        using var cancellation = new CancellationTokenSource();
        var check = new SmokeCheck("processed", TimeSpan.FromSeconds(30), async (_, cancellationToken) =>
        {
            await cancellation.CancelAsync();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return "unreachable";
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.RunAsync(cancellation.Token));
    }

    [Fact]
    public void The_table_has_one_row_per_check_in_order_and_no_trailing_spaces()
    {
        var table = SmokeCheckTable.Render(
        [
            new SmokeCheckResult("stack ready", SmokeCheckStatus.Passed, TimeSpan.FromMilliseconds(390), "200"),
            new SmokeCheckResult("fresh build", SmokeCheckStatus.Failed, TimeSpan.FromSeconds(12.4), "GET /version: no answer\nwithin 10 s"),
            new SmokeCheckResult("listing", SmokeCheckStatus.NotRun, TimeSpan.Zero, "an earlier check failed"),
        ]);

        Assert.Equal(
            "CHECK        RESULT   TIME   DETAIL\n" +
            "stack ready  ok       0.39s  200\n" +
            "fresh build  FAILED   12.4s  GET /version: no answer within 10 s\n" +
            "listing      not run  -      an earlier check failed\n",
            table);
    }
}
