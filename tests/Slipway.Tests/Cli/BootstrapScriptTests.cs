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

    private static string RepositoryWithBuildScript()
    {
        var repository = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "build.sh"), Path.Combine(repository, "build.sh"));
        return repository;
    }

    private static Task<(int ExitCode, string Output)> BuildShAsync(string repository) =>
        ChildProcess.RunAsync("bash", [Path.Combine(repository, "build.sh"), "--help"], repository);
}
