using System.Diagnostics;
using System.Globalization;
using System.Text;
using Slipway.Build;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.HostileInput;

/// <summary>
/// Loading is bounded and can be stopped. A limit that refuses is fast by construction, so these measure the refusal,
/// not a workload, and hold on a busy 2-core machine.
/// </summary>
public sealed class LoadBoundTests
{
    [Theory]
    [InlineData("nesting-10000-levels")]
    [InlineData("alias-bomb-of-a-billion-leaves")]
    [InlineData("environment-file-is-a-fifo")]
    public async Task A_bomb_is_refused_within_two_seconds(string name)
    {
        var hostile = HostileCorpus.All[name];
        using var workspace = new HostileWorkspace();
        hostile.Arrange(workspace);

        var stopwatch = Stopwatch.StartNew();
        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), hostile.Args, new RecordingToolRunner(), workingDirectory: workspace.Root);
        stopwatch.Stop();

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"refused after {stopwatch.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task SIGINT_during_a_slow_load_exits_130_within_one_second()
    {
        // A legal but slow load: a thousand environments over a base of 300 services. It runs for many seconds, so the
        // signal lands while it is in progress; the run must not wait for it to finish.
        using var workspace = new HostileWorkspace();
        WriteSlowEnvironments(workspace.PathOf("environments"));
        // Through env --default-signal=INT: a test run started in the background (nohup, `cmd &` in a script, some CI
        // agents) inherits SIGINT ignored, and the runtime keeps an inherited ignore. A developer's terminal does not.
        var start = new ProcessStartInfo("env")
        {
            ArgumentList = { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "Slipway.Build.dll"), "--target", "ValidateEnvironments", "--verbosity", "verbose" },
            WorkingDirectory = workspace.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["CI"] = "true";
        using var host = Process.Start(start)!;
        try
        {
            var stderr = host.StandardError.ReadToEndAsync();
            var output = new StringBuilder();

            // The host prints its plan just before it checks the configuration.
            using (var planned = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (await host.StandardOutput.ReadLineAsync(planned.Token) is { } line)
                {
                    output.AppendLine(line);
                    if (line.StartsWith("Plan: ", StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }

            Assert.Contains("Plan: ValidateEnvironments", output.ToString(), StringComparison.Ordinal);
            await Task.Delay(300);
            Assert.False(host.HasExited, "the load ended before the signal: it is not slow enough to test this\n" + output);

            var signalled = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-INT", host.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using (var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await host.WaitForExitAsync(exited.Token);
            }

            signalled.Stop();
            output.Append(await host.StandardOutput.ReadToEndAsync());

            Assert.Equal(ExitCodes.Cancelled, host.ExitCode);
            Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(1), $"exited {signalled.Elapsed.TotalMilliseconds:0} ms after SIGINT");
            Assert.Contains("Cancelled before anything ran.", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Valid environments", output.ToString(), StringComparison.Ordinal);
            Assert.Empty(await stderr);
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
        }
    }

    private static void WriteSlowEnvironments(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.yml"))
        {
            File.Delete(file);
        }

        var services = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            services.Append(CultureInfo.InvariantCulture, $"  svc{i}:\n    image: svc{i}\n    dockerfile: samples/Svc{i}/Dockerfile\n    replicas: 1\n")
                .Append(CultureInfo.InvariantCulture, $"    resources:\n      requests: {{ cpu: 250m, memory: 256Mi }}\n      limits: {{ cpu: \"1\", memory: 512Mi }}\n")
                .Append(CultureInfo.InvariantCulture, $"    ports:\n      - name: http\n        port: {8000 + i}\n    env:\n      SERVICE_NAME: svc{i}\n");
        }

        File.WriteAllText(Path.Combine(directory, "base.yml"), """
            delivery:
              driver: compose
              compose:
                project: slow-${SLIPWAY_ENVIRONMENT}
            registry:
              address: 127.0.0.1:5000
            state_directory: .slipway/state/${SLIPWAY_ENVIRONMENT}
            services:

            """ + services);
        for (var i = 0; i < 1000; i++)
        {
            File.WriteAllText(Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"env{i:0000}.yml")), "extends: base\ntrigger:\n  on: pull_request\n");
        }
    }
}
