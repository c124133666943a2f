using System.Diagnostics;
using System.Text;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests.Support;

/// <summary>
/// A pipeline run (or another tool) in a process of its own: so it can hold a lock while another runs, be watched while it
/// works, and be killed with SIGKILL as a crashed runner would be.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(ProcessStartInfo start)
    {
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The process's id.</summary>
    public int Id => _process.Id;

    /// <summary>Its stdout and stderr so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the built pipeline host (<c>build/bin/&lt;configuration&gt;/net10.0/Slipway.Build.dll</c>) in
    /// <paramref name="directory"/> with <paramref name="args"/>.
    /// </summary>
    public static HostProcess StartPipeline(string directory, params string[] args) => StartPipeline(directory, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="StartPipeline(string, string[])"/>, with <paramref name="environment"/> added to the process's variables.</summary>
    public static HostProcess StartPipeline(string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var host = Path.Combine(TestPaths.RepositoryRoot, "build", "bin", configuration, "net10.0", "Slipway.Build.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(host);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new HostProcess(start);
    }

    /// <summary>
    /// Runs <paramref name="tool"/> to its end (at most <paramref name="timeout"/>, default 10 minutes, else the test
    /// fails) in <paramref name="directory"/> (default: the current one); its exit code, stdout and stderr.
    /// </summary>
    public static (int ExitCode, string Output, string Error) Capture(string tool, IEnumerable<string> args, string? directory = null, TimeSpan? timeout = null, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (directory is not null)
        {
            start.WorkingDirectory = directory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        Xunit.Assert.True(process.WaitForExit(limit), $"{tool} did not finish within {limit}");
        return (process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Runs <paramref name="tool"/> to its end; its trimmed stdout, or an exception with its stderr when it fails.</summary>
    public static string Run(string tool, IEnumerable<string> args, string? directory = null, params (string Name, string Value)[] environment)
    {
        var arguments = args.ToList();
        var (exitCode, output, error) = Capture(tool, arguments, directory, environment: environment);
        return exitCode == 0 ? output.Trim() : throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited {exitCode}: {error}");
    }

    /// <summary>Waits (bounded) for the process to end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no finally block, no lock release, exactly what a crashed runner leaves.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>Kills what is still running of the process tree.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
