using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Processes;

/// <summary>The one runner, against the project's own dummy executable.</summary>
public sealed class ProcessRunnerTests
{
    private static readonly ProcessRunner Runner = new(new ToolResolver(Environment.GetEnvironmentVariable));

    private static ToolInvocation Dummy(params string[] args) =>
        ToolInvocation.Of("dotnet").WithArguments(TestPaths.DummyAssembly).WithArguments(args.Select(InvocationValue.FromString));

    private sealed class CapturedOutput : IToolOutput
    {
        public List<string> Out { get; } = [];

        public List<string> Error { get; } = [];

        public void StandardOutput(string line)
        {
            lock (Out)
            {
                Out.Add(line);
            }
        }

        public void StandardError(string line)
        {
            lock (Error)
            {
                Error.Add(line);
            }
        }
    }

    [Fact]
    public async Task I_can_pass_arguments_with_spaces_and_quotes_as_single_tokens()
    {
        var output = new CapturedOutput();
        var result = await Runner.RunAsync(Dummy("echo", "two words", "it's \"quoted\"", ""), output, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["two words", "it's \"quoted\"", ""], output.Out);
    }

    [Fact]
    public async Task I_can_stream_stderr_separately_from_stdout()
    {
        var output = new CapturedOutput();
        var result = await Runner.RunAsync(Dummy("stderr", "to", "stderr"), output, CancellationToken.None);

        Assert.Empty(output.Out);
        Assert.Equal(["to stderr"], output.Error);
        Assert.Contains("to stderr", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task I_can_set_environment_variables_for_the_tool()
    {
        var output = new CapturedOutput();
        await Runner.RunAsync(Dummy("env", "SLIPWAY_TEST_VALUE").WithEnvironment("SLIPWAY_TEST_VALUE", "from-invocation"), output, CancellationToken.None);

        Assert.Equal(["from-invocation"], output.Out);
    }

    [Fact]
    public async Task I_can_give_the_tool_standard_input_and_it_is_masked_when_secret()
    {
        var output = new CapturedOutput();
        // A value no other test prints: secrets are scrubbed process-wide once registered.
        var invocation = Dummy("stdin").WithStandardInput(new Secret("stdin-only value 7f3a\n", "command"));

        await Runner.RunAsync(invocation, output, CancellationToken.None);

        Assert.Equal(["STDIN-ONLY VALUE 7F3A"], output.Out);
        Assert.EndsWith("stdin <<< ***", invocation.ToDisplayString(), StringComparison.Ordinal);
        Assert.Contains(invocation.Secrets, s => s.Name == "command");
    }

    [Fact]
    public async Task Without_standard_input_the_tool_reads_an_empty_input()
    {
        var result = await Runner.RunAsync(Dummy("stdin"), NullToolOutput.Instance, CancellationToken.None);

        Assert.Equal(string.Empty, result.StandardOutput);
    }

    [Fact]
    public async Task A_non_zero_exit_names_the_tool_the_command_the_code_and_the_last_20_stderr_lines()
    {
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => Runner.RunAsync(Dummy("exit", "3"), NullToolOutput.Instance, CancellationToken.None));

        Assert.Equal(3, ex.Result.ExitCode);
        Assert.StartsWith("dotnet exited with code 3: dotnet ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stderr line 30", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stderr line 11", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("stderr line 10\n", ex.Message.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n", StringComparison.Ordinal);
        Assert.DoesNotContain("exiting with 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_accepted_non_zero_exit_code_is_returned_not_thrown()
    {
        var result = await Runner.RunAsync(Dummy("exit", "1").WithSuccessExitCodes(0, 1), NullToolOutput.Instance, CancellationToken.None);

        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Secret_values_are_scrubbed_from_output_and_from_the_failure_message()
    {
        var secret = new Secret("runner-secret-7f3a9", "--token");
        var output = new CapturedOutput();
        await Runner.RunAsync(Dummy("echo", "token=runner-secret-7f3a9"), output, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() =>
            Runner.RunAsync(Dummy("exit", "2").WithArguments(secret), NullToolOutput.Instance, CancellationToken.None));

        Assert.Equal(["token=***"], output.Out);
        Assert.DoesNotContain("runner-secret-7f3a9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("***", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_tool_says_how_to_install_or_point_at_it()
    {
        var ex = await Assert.ThrowsAsync<ToolNotFoundException>(() =>
            Runner.RunAsync(ToolInvocation.Of("helm-not-installed"), NullToolOutput.Instance, CancellationToken.None));

        Assert.Equal("helm-not-installed not found: install it or set SLIPWAY_HELM_NOT_INSTALLED to its path", ex.Message);
    }

    [Fact]
    public void A_tool_override_variable_wins_over_PATH()
    {
        var dotnet = new ToolResolver(Environment.GetEnvironmentVariable).Resolve("dotnet");
        var resolver = new ToolResolver(name => name == "SLIPWAY_HELM" ? dotnet : Environment.GetEnvironmentVariable(name));

        Assert.Equal(dotnet, resolver.Resolve("helm"));
    }

    [Fact]
    public async Task Cancelling_kills_the_whole_process_tree_including_a_sleeping_grandchild()
    {
        var directory = TestPaths.NewTempDirectory();
        var pidFile = Path.Combine(directory, "grandchild.pid");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = Runner.RunAsync(Dummy("spawn-sleeper", pidFile), NullToolOutput.Instance, cancellation.Token);

        var grandchild = await ProcessTree.WaitForPidFileAsync(pidFile, TimeSpan.FromSeconds(30));
        Assert.True(ProcessTree.IsAlive(grandchild), "the grandchild should be running before cancellation");
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(await ProcessTree.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10)), $"grandchild {grandchild} is still alive");
    }
}

public sealed class RetryTests
{
    private static readonly ProcessRunner Runner = new(new ToolResolver(Environment.GetEnvironmentVariable));
    private static readonly RetryPolicy Quick = RetryPolicy.TransientNetworkErrors with { BaseDelay = TimeSpan.FromMilliseconds(10) };

    private static ToolInvocation Flaky(string counter, int failures, string? message = null) =>
        ToolInvocation.Of("dotnet").WithArguments(TestPaths.DummyAssembly, "flaky", counter, failures.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithArguments(message is null ? [] : [message]);

    [Fact]
    public async Task A_transient_failure_is_retried_until_it_succeeds_and_each_retry_is_reported()
    {
        var counter = Path.Combine(TestPaths.NewTempDirectory(), "count");
        var errors = new List<string>();
        var output = new CollectingOutput(errors);

        var result = await Runner.RunAsync(Flaky(counter, 2).WithRetry(Quick), output, CancellationToken.None);

        Assert.Contains("succeeded on call 3", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, errors.Count(e => e.StartsWith("dotnet failed transiently; retrying", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Retries_stop_at_the_attempt_limit()
    {
        var counter = Path.Combine(TestPaths.NewTempDirectory(), "count");

        await Assert.ThrowsAsync<ToolFailedException>(() => Runner.RunAsync(Flaky(counter, 10).WithRetry(Quick), NullToolOutput.Instance, CancellationToken.None));
        Assert.Equal("4", await File.ReadAllTextAsync(counter));
    }

    [Fact]
    public async Task A_real_error_is_not_retried()
    {
        var counter = Path.Combine(TestPaths.NewTempDirectory(), "count");

        await Assert.ThrowsAsync<ToolFailedException>(() => Runner.RunAsync(Flaky(counter, 1, "denied: requested access to the resource is denied").WithRetry(Quick), NullToolOutput.Instance, CancellationToken.None));
        Assert.Equal("1", await File.ReadAllTextAsync(counter));
    }

    [Fact]
    public async Task A_pause_that_met_runcs_freezer_race_is_retried_and_one_refused_for_the_containers_state_is_not()
    {
        var policy = Slipway.Delivery.Compose.ComposeDeployer.FreezeRace with { BaseDelay = TimeSpan.FromMilliseconds(10) };
        var raced = Path.Combine(TestPaths.NewTempDirectory(), "count");
        var result = await Runner.RunAsync(
            Flaky(raced, 2, "Error response from daemon: Cannot pause container 9300e579636e: OCI runtime pause failed: unable to freeze: unknown").WithRetry(policy),
            NullToolOutput.Instance,
            CancellationToken.None);
        Assert.Contains("succeeded on call 3", result.StandardOutput, StringComparison.Ordinal);

        var refused = Path.Combine(TestPaths.NewTempDirectory(), "count");
        await Assert.ThrowsAsync<ToolFailedException>(() => Runner.RunAsync(
            Flaky(refused, 1, "Error response from daemon: container 9300e579636e is paused, not running").WithRetry(policy), NullToolOutput.Instance, CancellationToken.None));
        Assert.Equal("1", await File.ReadAllTextAsync(refused));
    }

    private sealed class CollectingOutput(List<string> errors) : IToolOutput
    {
        public void StandardOutput(string line)
        {
        }

        public void StandardError(string line)
        {
            lock (errors)
            {
                errors.Add(line);
            }
        }
    }
}
