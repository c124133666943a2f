using Slipway.Delivery.Compose;
using Slipway.Testing;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>The override a revision ran with: written once, read-only, never silently replaced.</summary>
public sealed class KeptOverrideTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File1 => Path.Combine(_directory, "releases", "1.2.0@aaaaaaaaaaaa.compose.yml");

    [Fact]
    public async Task It_is_written_once_read_only_and_a_second_write_of_the_same_revision_leaves_it_as_it_is()
    {
        await KeptOverride.WriteAsync(new ScriptedToolSession(), File1, "services: {}\n", Path.GetFileName);
        var written = File.GetLastWriteTimeUtc(File1);
        await KeptOverride.WriteAsync(new ScriptedToolSession(), File1, "services: {}\n", Path.GetFileName);

        Assert.Equal("services: {}\n", await File.ReadAllTextAsync(File1));
        Assert.Equal(written, File.GetLastWriteTimeUtc(File1));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(File1)!));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(File1));
        }
    }

    [Fact]
    public async Task A_kept_file_edited_by_hand_is_refused_not_overwritten()
    {
        await KeptOverride.WriteAsync(new ScriptedToolSession(), File1, "services: {}\n", Path.GetFileName);
        File.SetAttributes(File1, FileAttributes.Normal);
        await File.WriteAllTextAsync(File1, "services: { api: { image: evil } }\n");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => KeptOverride.WriteAsync(new ScriptedToolSession(), File1, "services: {}\n", Path.GetFileName));

        Assert.StartsWith("1.2.0@aaaaaaaaaaaa.compose.yml was changed after it was written", error.Message, StringComparison.Ordinal);
        Assert.Contains("evil", await File.ReadAllTextAsync(File1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing()
    {
        await KeptOverride.WriteAsync(new ScriptedToolSession { IsDryRun = true }, File1, "services: {}\n", Path.GetFileName);

        Assert.False(File.Exists(File1));
    }
}
