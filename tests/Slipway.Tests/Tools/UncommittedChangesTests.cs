using Slipway.Tests.Support;
using Slipway.Tools.Git;

namespace Slipway.Tests.Tools;

/// <summary>
/// The fingerprint of uncommitted work, on a real git repository: none for a clean tree, one per content, the same for
/// the same edit, and it sees edits, new untracked files, deletions and renames, but not ignored files.
/// </summary>
public sealed class UncommittedChangesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("slipway-uncommitted-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task GitAsync(params string[] args)
    {
        var (exitCode, output) = await ChildProcess.RunAsync("git", ["-c", "user.name=test", "-c", "user.email=test@example.test", "-c", "commit.gpgsign=false", .. args], _root);
        Assert.True(exitCode == 0, $"git {string.Join(' ', args)}: {output}");
    }

    private async Task<string?> FingerprintAsync()
    {
        var invocation = GitCli.ChangedFiles(_root);
        var (exitCode, output) = await ChildProcess.RunAsync(invocation.Tool, invocation.Arguments.Select(a => a.Reveal()), _root);
        Assert.Equal(0, exitCode);
        return UncommittedChanges.Fingerprint(_root, output);
    }

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, path))!);
        File.WriteAllText(Path.Combine(_root, path), text);
    }

    [Fact]
    public async Task What_a_build_writes_is_not_a_change_even_without_a_gitignore_but_a_new_source_file_is()
    {
        await GitAsync("init", "-q", "-b", "main");
        Write("src/Api/Program.cs", "app.Run();\n");
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "-m", "first");

        Write(".slipway/build-state/api.json", "{}");
        Write("artifacts/release.json", "{}");
        Write("src/Api/bin/Release/net10.0/Api.dll", "binary");
        Write("src/Api/obj/project.assets.json", "{}");
        Assert.Null(await FingerprintAsync());

        Write("src/Api/Orders.cs", "class Orders;\n");
        Assert.NotNull(await FingerprintAsync());
    }

    [Fact]
    public async Task A_one_line_edit_has_a_fingerprint_of_its_content_and_a_clean_tree_has_none()
    {
        await GitAsync("init", "-q", "-b", "main");
        Write("src/Api/Program.cs", "app.Run();\n");
        Write(".gitignore", "artifacts/\n");
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "-m", "first");
        Assert.Null(await FingerprintAsync());

        Write("src/Api/Program.cs", "app.MapGet(\"/v\", () => 2);\napp.Run();\n");
        var edit = await FingerprintAsync();
        Assert.Matches("^[0-9a-f]{10}$", edit);
        Assert.Equal(edit, await FingerprintAsync());

        // Ignored files are not the release's content.
        Write("artifacts/publish/api.dll", "binary");
        Assert.Equal(edit, await FingerprintAsync());

        Write("src/Api/Program.cs", "app.MapGet(\"/v\", () => 3);\napp.Run();\n");
        var other = await FingerprintAsync();
        Assert.NotEqual(edit, other);

        Write("src/Api/Program.cs", "app.MapGet(\"/v\", () => 2);\napp.Run();\n");
        Assert.Equal(edit, await FingerprintAsync());

        Write("src/Api/New.cs", "class New;\n");
        var untracked = await FingerprintAsync();
        Assert.NotEqual(edit, untracked);
        Write("src/Api/New.cs", "class Newer;\n");
        Assert.NotEqual(untracked, await FingerprintAsync());

        Write("src/Api/Program.cs", "app.Run();\n");
        File.Delete(Path.Combine(_root, "src/Api/New.cs"));
        Assert.Null(await FingerprintAsync());

        File.Delete(Path.Combine(_root, "src/Api/Program.cs"));
        Assert.NotNull(await FingerprintAsync());
    }

    [Fact]
    public void Renames_are_read_with_their_origin_and_paths_with_spaces_are_kept_whole()
    {
        var entries = UncommittedChanges.Parse("R  new name.cs\0old name.cs\0 M src/a b.cs\0?? notes.txt\0");

        Assert.Equal(
            [("R ", "new name.cs", "old name.cs"), (" M", "src/a b.cs", string.Empty), ("??", "notes.txt", string.Empty)],
            entries);
    }

    [Fact]
    public void Nothing_listed_is_a_clean_tree() =>
        Assert.Null(UncommittedChanges.Fingerprint(_root, string.Empty));
}
