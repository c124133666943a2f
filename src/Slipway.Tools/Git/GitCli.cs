using Slipway.Processes;

namespace Slipway.Tools.Git;

/// <summary>
/// Renders the read-only <c>git</c> queries a release needs. Pure: nothing here runs a process. Each takes the
/// repository directory as the working directory (the current directory when null). <see cref="GitOutput"/> reads the results.
/// </summary>
public static class GitCli
{
    /// <summary><c>git rev-parse HEAD</c>: the full commit id.</summary>
    public static ToolInvocation HeadCommit(string? repository = null) =>
        Git(repository, "rev-parse", "HEAD");

    /// <summary><c>git rev-parse --abbrev-ref HEAD</c>: the branch name, or <c>HEAD</c> when detached (as in most CI checkouts).</summary>
    public static ToolInvocation CurrentBranch(string? repository = null) =>
        Git(repository, "rev-parse", "--abbrev-ref", "HEAD");

    /// <summary>
    /// <c>git describe --tags --exact-match HEAD</c>: the tag on HEAD. Exit code 128 is accepted because it is
    /// how git says "no tag here", which is the normal case on a branch build.
    /// </summary>
    public static ToolInvocation ExactTag(string? repository = null) =>
        Git(repository, "describe", "--tags", "--exact-match", "HEAD").WithSuccessExitCodes(0, 128);

    /// <summary><c>git rev-list --count HEAD</c>: how many commits lead to HEAD (the version height).</summary>
    public static ToolInvocation CommitCount(string? repository = null) =>
        Git(repository, "rev-list", "--count", "HEAD");

    /// <summary><c>git status --porcelain</c>: one line per changed file; empty when the tree is clean.</summary>
    public static ToolInvocation Status(string? repository = null) =>
        Git(repository, "status", "--porcelain");

    /// <summary>
    /// <c>git status --porcelain -z --untracked-files=all</c>: every changed or untracked (not ignored) file, NUL-separated
    /// and unquoted, with paths relative to the repository's top; what <see cref="UncommittedChanges"/> reads.
    /// </summary>
    public static ToolInvocation ChangedFiles(string? repository = null) =>
        Git(repository, "status", "--porcelain", "-z", "--untracked-files=all");

    /// <summary>
    /// <c>git remote get-url origin</c>. Exit code 2 (no such remote, git 2.25+) and 128 (older git, or not a
    /// repository) are accepted: a fresh clone without origin is not an error for a build.
    /// </summary>
    public static ToolInvocation OriginUrl(string? repository = null) =>
        Git(repository, "remote", "get-url", "origin").WithSuccessExitCodes(0, 2, 128);

    private static ToolInvocation Git(string? repository, params string[] arguments) =>
        ToolInvocation.Of("git").WithArguments(arguments.Select(InvocationValue.FromString)).WithWorkingDirectory(repository);
}
