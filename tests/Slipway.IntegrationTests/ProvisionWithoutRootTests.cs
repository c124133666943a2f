using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// Provision as a user who is neither root nor a passwordless sudoer, through the real CLI (<c>runuser</c> to
/// <c>nobody</c>): before anything runs it lists exactly what is missing and how to install it, and exits 2.
/// </summary>
public sealed class ProvisionWithoutRootTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("slipway-nonroot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Provision_without_root_or_sudo_lists_what_is_missing_and_exits_2()
    {
        Assert.True(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "this test switches to the user nobody with runuser, which needs Linux and root (as .ci/run has)");

        // nobody's PATH: dotnet and terraform only (Provision cannot install those), so docker and git need root.
        var bin = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        foreach (var tool in new[] { "dotnet", "terraform" })
        {
            var found = HostProcess.Run("bash", ["-c", $"command -v {tool}"]);
            File.CreateSymbolicLink(Path.Combine(bin, tool), found);
        }

        var work = Directory.CreateDirectory(Path.Combine(_directory, "work")).FullName;
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_directory, (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(work, (UnixFileMode)Convert.ToInt32("777", 8));
        }

        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var host = Path.Combine(TestPaths.RepositoryRoot, "build", "bin", configuration, "net10.0", "Slipway.Build.dll");
        var (exitCode, output, error) = HostProcess.Capture("runuser",
            ["-u", "nobody", "--", "env", "-i", $"PATH={bin}", $"HOME={work}", $"DOTNET_CLI_HOME={work}", "NO_COLOR=1", "DOTNET_NOLOGO=1",
                "DOCKER_HOST=unix:///nonexistent/docker.sock", Path.Combine(bin, "dotnet"), host, "--target", "Provision"],
            work, TimeSpan.FromMinutes(3));

        var all = output + error;
        Assert.True(exitCode == 2, $"exit {exitCode}: {all}");
        Assert.Contains("Cannot provision this machine: installing docker-registry, docker.io, git needs root, and this user is not root and has no passwordless sudo. Missing:", all, StringComparison.Ordinal);
        foreach (var missing in new[] { "  docker: apt-get install docker.io", "  git: apt-get install git", "  helm: --provision", "  compose: --provision" })
        {
            Assert.Contains(missing, all, StringComparison.Ordinal);
        }

        Assert.Contains("Install them (as root: apt-get install -y docker-registry docker.io git), or run Provision as root or as a user with passwordless sudo, then run again.", all, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(work), e => !Path.GetFileName(e).StartsWith('.'));
    }
}
