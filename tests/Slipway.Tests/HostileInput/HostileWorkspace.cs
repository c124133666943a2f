using System.Diagnostics;
using System.Globalization;
using Slipway.Tests.Environments;
using Slipway.Tests.Support;

namespace Slipway.Tests.HostileInput;

/// <summary>
/// A throwaway repository for one hostile case: <c>&lt;temp&gt;/repo</c> holds this repository's environment files and
/// infra stacks, and <c>&lt;temp&gt;/outside</c> a sentinel that nothing may touch. <see cref="Listing"/> describes every
/// entry under <c>&lt;temp&gt;</c> — the working tree, <c>.slipway/</c>, <c>artifacts/</c> and what lies beside the
/// repository — so a test can show that a refused input changed nothing, inside or out.
/// </summary>
public sealed class HostileWorkspace : IDisposable
{
    public HostileWorkspace()
    {
        Top = TestPaths.NewTempDirectory();
        Root = Directory.CreateDirectory(Path.Combine(Top, "repo")).FullName;
        Outside = Directory.CreateDirectory(Path.Combine(Top, "outside")).FullName;
        File.WriteAllText(Path.Combine(Outside, "sentinel.txt"), "must survive\n");
        Directory.CreateDirectory(Path.Combine(Top, "x"));
        File.WriteAllText(Path.Combine(Top, "x", "keep.txt"), "a service named ../../x must not delete this\n");

        var environments = Directory.CreateDirectory(Path.Combine(Root, "environments")).FullName;
        foreach (var file in Directory.EnumerateFiles(RepositoryRoot.Combine("environments")))
        {
            File.Copy(file, Path.Combine(environments, Path.GetFileName(file)));
        }

        foreach (var (stack, varFile) in new[] { ("infra/single-node", "staging.tfvars"), ("infra/production", "production.tfvars") })
        {
            Directory.CreateDirectory(Path.Combine(Root, stack));
            File.WriteAllText(Path.Combine(Root, stack, "main.tf"), "# a stack\n");
            File.WriteAllText(Path.Combine(Root, stack, varFile), "# its variables\n");
        }

        Directory.CreateDirectory(Path.Combine(Root, "artifacts"));
        Directory.CreateDirectory(Path.Combine(Root, ".slipway", "state"));

        // Restore finds the solution by convention, as in an adopter's repository.
        File.WriteAllText(Path.Combine(Root, "Slipway.slnx"), "<Solution />\n");
    }

    /// <summary>The directory that holds the repository and what lies beside it.</summary>
    public string Top { get; }

    /// <summary>The repository root: the host's working directory.</summary>
    public string Root { get; }

    /// <summary>A directory beside the repository with a sentinel file.</summary>
    public string Outside { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public HostileWorkspace Write(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public HostileWorkspace WriteBytes(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return this;
    }

    public string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Replaces <paramref name="old"/> (which must be there) in a file.</summary>
    public HostileWorkspace Edit(string relative, string old, string replacement)
    {
        var text = Read(relative);
        Assert.Contains(old, text, StringComparison.Ordinal);
        return Write(relative, text.Replace(old, replacement, StringComparison.Ordinal));
    }

    public HostileWorkspace Append(string relative, string text) => Write(relative, Read(relative) + text);

    public HostileWorkspace Delete(string relative)
    {
        File.Delete(PathOf(relative));
        return this;
    }

    /// <summary>The 1-based line of the first line of <paramref name="relative"/> that contains <paramref name="text"/>.</summary>
    public int LineOf(string relative, string text)
    {
        var lines = Read(relative).Split('\n');
        var index = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(index >= 0, $"'{text}' is not in {relative}");
        return index + 1;
    }

    public HostileWorkspace Fifo(string relative)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return this;
    }

    public HostileWorkspace Symlink(string relative, string target)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return this;
    }

    public HostileWorkspace Folder(string relative)
    {
        Directory.CreateDirectory(PathOf(relative));
        return this;
    }

    /// <summary>
    /// Every entry under <see cref="Top"/> with its kind, size, time and link target, sorted: equal listings before and
    /// after a run mean the run created, changed and deleted nothing there.
    /// </summary>
    public IReadOnlyList<string> Listing() =>
        [.. new DirectoryInfo(Top).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(Describe)
            .Order(StringComparer.Ordinal)];

    private string Describe(FileSystemInfo entry)
    {
        var relative = Path.GetRelativePath(Top, entry.FullName);
        return entry switch
        {
            _ when entry.LinkTarget is { } target => $"{relative} -> {target}",
            DirectoryInfo => relative + "/",
            FileInfo file => string.Create(CultureInfo.InvariantCulture, $"{relative} {file.Length} {file.LastWriteTimeUtc.Ticks}"),
            _ => relative,
        };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Top, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
