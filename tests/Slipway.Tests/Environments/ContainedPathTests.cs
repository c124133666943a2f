using Slipway.Environments;
using Slipway.Tests.Support;

namespace Slipway.Tests.Environments;

public sealed class ContainedPathTests
{
    [Theory]
    [InlineData(".slipway/state/dev", null)]
    [InlineData("a/../b", null)]
    [InlineData("./a", null)]
    [InlineData(".", null)]
    [InlineData("..", "a path that climbs out with '..'")]
    [InlineData("a/../../b", "a path that climbs out with '..'")]
    [InlineData("a\\..\\..\\b", "a path that climbs out with '..'")]
    [InlineData("/etc/passwd", "an absolute path")]
    [InlineData("~/.ssh/id_rsa", "an absolute path")]
    [InlineData("C:/Windows", "an absolute path")]
    public void A_path_is_judged_by_its_text(string path, string? problem) =>
        Assert.Equal(problem, ContainedPath.LexicalProblem(path));

    [Fact]
    public void A_link_that_leads_outside_is_followed_and_refused()
    {
        var top = TestPaths.NewTempDirectory();
        var repository = Directory.CreateDirectory(Path.Combine(top, "repo")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(top, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(repository, "inside"));
        File.CreateSymbolicLink(Path.Combine(repository, "out"), outside);
        File.CreateSymbolicLink(Path.Combine(repository, "in"), "inside");
        File.CreateSymbolicLink(Path.Combine(repository, "relative-out"), "../outside");

        Assert.True(ContainedPath.TryResolve(repository, "inside/state", out var inside));
        Assert.Equal(Path.Combine(repository, "inside", "state"), inside);
        Assert.True(ContainedPath.TryResolve(repository, "in/state", out var linkedInside));
        Assert.Equal(Path.Combine(repository, "inside", "state"), linkedInside);
        Assert.False(ContainedPath.TryResolve(repository, "out/state", out var leads));
        Assert.Equal(Path.Combine(outside, "state"), leads);
        Assert.False(ContainedPath.TryResolve(repository, "relative-out/state", out _));
        Assert.False(ContainedPath.TryResolve(repository, "../outside", out _));
    }

    [Fact]
    public void A_loop_of_links_ends()
    {
        var repository = TestPaths.NewTempDirectory();
        File.CreateSymbolicLink(Path.Combine(repository, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(repository, "b"), "a");

        var resolved = ContainedPath.RealPath(Path.Combine(repository, "a", "c"));

        Assert.StartsWith(repository, resolved, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/repo", "/repo", true)]
    [InlineData("/repo", "/repo/a", true)]
    [InlineData("/repo/", "/repo/a", true)]
    [InlineData("/repo", "/repository", false)]
    [InlineData("/repo", "/", false)]
    public void Inside_means_the_folder_or_below_it(string folder, string path, bool inside) =>
        Assert.Equal(inside, ContainedPath.IsInside(folder, path));
}
