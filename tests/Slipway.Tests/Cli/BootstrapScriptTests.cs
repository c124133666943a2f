using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>
/// build.sh in a repository that is not this one: it assumes no file of ours, and a failure says what it was doing and
/// what to do (it once exited 1 without a word where .editorconfig was missing).
/// </summary>
public sealed class BootstrapScriptTests
{
    [Fact]
    public async Task Without_a_build_project_it_says_where_the_host_goes_and_exits_2()
    {
        var repository = RepositoryWithBuildScript();

        var (exitCode, output) = await BuildShAsync(repository);

        Assert.Equal(2, exitCode);
        Assert.Contains("error: no build/ directory in", output, StringComparison.Ordinal);
        Assert.Contains("dotnet new slipway", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_two_hosts_in_build_it_names_them_and_exits_2()
    {
        var repository = RepositoryWithBuildScript();
        Directory.CreateDirectory(Path.Combine(repository, "build"));
        File.WriteAllText(Path.Combine(repository, "build", "A.csproj"), "<Project />");
        File.WriteAllText(Path.Combine(repository, "build", "B.csproj"), "<Project />");

        var (exitCode, output) = await BuildShAsync(repository);

        Assert.Equal(2, exitCode);
        Assert.Contains("several projects in build/ (A.csproj B.csproj)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_does_not_compile_is_reported_with_its_log_whatever_files_the_repository_lacks()
    {
        // No .editorconfig, no src/, no pipelines/, no Directory.*.props: the script must still get as far as the build.
        var repository = RepositoryWithBuildScript();
        Directory.CreateDirectory(Path.Combine(repository, "build"));
        File.WriteAllText(Path.Combine(repository, "build", "Host.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(repository, "build", "Program.cs"), "this is not C#");

        var (exitCode, output) = await BuildShAsync(repository);

        Assert.Equal(2, exitCode);
        Assert.Contains("Building the pipeline host build/Host.csproj", output, StringComparison.Ordinal);
        Assert.Contains("error: the pipeline host build/Host.csproj failed to build (log: .slipway/host/build.log).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inputs_touched_but_not_changed_run_the_built_host_and_a_changed_input_builds_it_again()
    {
        var repository = RepositoryWithBuildScript();
        var build = Path.Combine(repository, "build");
        Directory.CreateDirectory(build);
        File.WriteAllText(Path.Combine(build, "Host.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><AssemblyName>TinyHost</AssemblyName></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(build, "Program.cs"), "System.Console.WriteLine(\"tiny host: \" + string.Join(' ', args));");
        var (firstExit, first) = await BuildShAsync(repository);
        Assert.True(firstExit == 0, first);
        Assert.Contains("Building the pipeline host build/Host.csproj", first, StringComparison.Ordinal);
        Assert.Contains("tiny host: --help", first, StringComparison.Ordinal);

        // A folder made and removed moves build/'s write time past the stamp: the inputs are hashed, found the same, and
        // the host runs as built, without a build or an MSBuild evaluation.
        Directory.Delete(Directory.CreateDirectory(Path.Combine(build, "obj-of-a-restore")).FullName);
        Directory.SetLastWriteTimeUtc(build, DateTime.UtcNow.AddMinutes(1));
        var (touchedExit, touched, dotnetCommands) = await BuildShWatchingDotnetAsync(repository);
        Assert.True(touchedExit == 0, touched);
        Assert.Equal("tiny host: --help", touched.Trim());
        Assert.Equal(["--version", Path.Combine(repository, ".slipway", "host", "bin", "TinyHost.dll")], dotnetCommands);

        File.AppendAllText(Path.Combine(build, "Program.cs"), "\nthis is not C#\n");
        File.SetLastWriteTimeUtc(Path.Combine(build, "Program.cs"), DateTime.UtcNow.AddMinutes(2));
        var (changedExit, changed) = await BuildShAsync(repository);
        Assert.Equal(2, changedExit);
        Assert.Contains("Building the pipeline host build/Host.csproj", changed, StringComparison.Ordinal);
    }

    private static string RepositoryWithBuildScript()
    {
        var repository = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "build.sh"), Path.Combine(repository, "build.sh"));
        return repository;
    }

    /// <summary>Runs build.sh with a <c>dotnet</c> first on PATH that writes down its first argument, then runs the real one.</summary>
    private static async Task<(int ExitCode, string Output, List<string> DotnetCommands)> BuildShWatchingDotnetAsync(string repository)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dotnet = path.Split(Path.PathSeparator).Select(d => Path.Combine(d, "dotnet")).First(File.Exists);
        var shims = TestPaths.NewTempDirectory();
        var log = Path.Combine(shims, "dotnet.log");
        var shim = Path.Combine(shims, "dotnet");
        File.WriteAllText(shim, $"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{log}'\nexec '{dotnet}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var (exitCode, output) = await ChildProcess.RunAsync("env", [$"PATH={shims}{Path.PathSeparator}{path}", "bash", Path.Combine(repository, "build.sh"), "--help"], repository);
        return (exitCode, output, File.Exists(log) ? [.. File.ReadAllLines(log)] : []);
    }

    private static Task<(int ExitCode, string Output)> BuildShAsync(string repository) =>
        ChildProcess.RunAsync("bash", [Path.Combine(repository, "build.sh"), "--help"], repository);
}
