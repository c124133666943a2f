using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>Provision's scripts ship inside the package and come out under .slipway/provision/&lt;version&gt;/, usable in any repository.</summary>
public sealed class ProvisioningTests
{
    [Fact]
    public void The_package_ships_every_provisioning_file_of_the_repository()
    {
        var folder = Path.Combine(TestPaths.RepositoryRoot, "src", "Slipway.Delivery", "Provisioning");
        var onDisk = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(onDisk, Provisioning.Files);
        Assert.Contains("provision.sh", Provisioning.Files);
        Assert.Contains("images/postgres/Dockerfile", Provisioning.Files);
    }

    [Fact]
    public void Extraction_lands_in_a_versioned_directory_once_with_runnable_scripts()
    {
        var state = Path.Combine(TestPaths.NewTempDirectory(), ".slipway");

        var first = Provisioning.Extract(state);
        File.WriteAllText(Path.Combine(first, "marker"), "kept");
        var second = Provisioning.Extract(state);

        Assert.Equal(Path.Combine(state, "provision", Provisioning.Version), first);
        Assert.Equal(first, second);
        Assert.True(File.Exists(Path.Combine(second, "marker")), "a complete extraction is reused, not redone");
        Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "src/Slipway.Delivery/Provisioning/provision.sh")), File.ReadAllText(Path.Combine(first, "provision.sh")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(Path.Combine(first, "provision.sh")).HasFlag(UnixFileMode.UserExecute));
            Assert.True(File.GetUnixFileMode(Path.Combine(first, "teardown.sh")).HasFlag(UnixFileMode.UserExecute));
        }

        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?-[0-9a-f]{8}$", Provisioning.Version);
    }
}
