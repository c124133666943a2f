using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Git;

namespace Slipway.Delivery.Gates;

/// <summary>What <see cref="RefProtectionGate"/> judges: the files changed in the working tree and the refs being deployed.</summary>
/// <param name="ChangedFiles">The lines of <c>git status --porcelain</c> (status and path); empty for a clean tree.</param>
/// <param name="Refs">The full refs HEAD stands for (<c>refs/tags/v1.2.0</c>, <c>refs/heads/main</c>); empty when detached without a tag.</param>
/// <param name="RefSource">Where the refs came from, for the refusal: <c>GITHUB_REF</c> or <c>git</c>.</param>
public sealed record WorkingCopy(IReadOnlyList<string> ChangedFiles, IReadOnlyList<string> Refs, string RefSource)
{
    /// <summary>
    /// Reads the working copy with read-only git queries (they run in a dry run too). In GitHub Actions the ref is
    /// <c>GITHUB_REF</c>, the ref the workflow was started for, because a CI checkout is detached; elsewhere it is the
    /// tag on HEAD and the current branch.
    /// </summary>
    public static async Task<WorkingCopy> ReadAsync(IToolSession session, string repository, IReadOnlyDictionary<string, string> variables, RefProtection protection)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(protection);
        IReadOnlyList<string> changed = [];
        if (protection.RequireCleanTree)
        {
            var status = await session.QueryAsync(GitCli.Status(repository));
            changed = [.. status.StandardOutput.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0)];
        }

        if (protection.AllowedRefs.Count == 0)
        {
            return new WorkingCopy(changed, [], "git");
        }

        if (variables.GetValueOrDefault("GITHUB_ACTIONS") == "true" && variables.GetValueOrDefault("GITHUB_REF") is { Length: > 0 } githubRef)
        {
            return new WorkingCopy(changed, [githubRef], "GITHUB_REF");
        }

        var refs = new List<string>();
        if (GitOutput.ExactTagOrNull(await session.QueryAsync(GitCli.ExactTag(repository))) is { } tag)
        {
            refs.Add("refs/tags/" + tag);
        }

        var branch = GitOutput.FirstLine(await session.QueryAsync(GitCli.CurrentBranch(repository)));
        if (branch.Length > 0 && branch != "HEAD")
        {
            refs.Add("refs/heads/" + branch);
        }

        return new WorkingCopy(changed, refs, "git");
    }
}

/// <summary>
/// The environment's <c>protection</c>: a clean working tree and a ref in <c>allowed_refs</c>, judged before anything
/// runs. Pure: <see cref="WorkingCopy.ReadAsync"/> gathers the facts.
/// </summary>
public static class RefProtectionGate
{
    /// <summary>How many changed files a refusal names before it counts the rest.</summary>
    public const int FilesNamed = 5;

    /// <summary>Every reason the environment refuses this working copy, each a complete sentence with the fix; empty when it may deploy.</summary>
    public static IReadOnlyList<string> Refusals(RefProtection protection, WorkingCopy copy, string environmentFile)
    {
        ArgumentNullException.ThrowIfNull(protection);
        ArgumentNullException.ThrowIfNull(copy);
        var refusals = new List<string>();
        if (protection.RequireCleanTree && copy.ChangedFiles.Count > 0)
        {
            var named = string.Join(", ", copy.ChangedFiles.Take(FilesNamed).Select(f => PrintableText.Escape(f.Trim())));
            var more = copy.ChangedFiles.Count > FilesNamed ? $" and {copy.ChangedFiles.Count - FilesNamed} more" : string.Empty;
            refusals.Add($"The working tree has uncommitted changes ({named}{more}), and {environmentFile} deploys only committed work (protection.require_clean_tree). Commit or stash them, then deploy again.");
        }

        if (protection.AllowedRefs.Count > 0 && !copy.Refs.Any(r => protection.AllowedRefs.Any(p => Matches(p, r))))
        {
            var deploying = copy.Refs.Count == 0 ? "a detached HEAD without a tag" : string.Join(" and ", copy.Refs.Select(PrintableText.Escape));
            refusals.Add($"{deploying} (from {copy.RefSource}) may not deploy here: {environmentFile} protection.allowed_refs allows only {string.Join(", ", protection.AllowedRefs)}. Deploy from a matching ref (check it out, or tag the commit), or add the ref to allowed_refs.");
        }

        return refusals;
    }

    /// <summary>
    /// True when <paramref name="gitRef"/> matches the glob <paramref name="pattern"/> (<see cref="RefGlob"/>).
    /// </summary>
    public static bool Matches(string pattern, string gitRef) => RefGlob.Matches(pattern, gitRef);

    /// <summary>
    /// True when <c>--override-protection</c> may pass the refusals: the matrix says so in <c>protection.allow_override</c>,
    /// and when it says nothing, every environment but production allows it.
    /// </summary>
    public static bool MayOverride(DeployEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.Protection.AllowOverride ?? !environment.IsProduction;
    }
}
