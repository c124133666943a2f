using System.Text;

namespace Slipway.GitHub;

/// <summary>The pull-request comment that shows what a deploy target would run: a dry run's text, fenced.</summary>
public static class PlanComment
{
    /// <summary>GitHub refuses comments longer than this.</summary>
    internal const int MaxCommentLength = 65_536;

    /// <summary>Room left for the marker, heading and fences around the plan.</summary>
    private const int Framing = 1_024;

    /// <summary>The marker key of the plan comment for <paramref name="target"/>.</summary>
    public static string MarkerKey(string target) => "plan:" + target;

    /// <summary>
    /// Renders the comment body: a heading naming the target and commit, and the dry run's text (cut at the end, and
    /// saying so, when it would not fit in one comment).
    /// </summary>
    public static string Render(string target, string commit, string dryRunText, bool succeeded)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(dryRunText);
        var plan = dryRunText.Replace("```", "` ` `", StringComparison.Ordinal);
        var limit = MaxCommentLength - Framing;
        var cut = plan.Length > limit;
        if (cut)
        {
            plan = plan[..limit];
        }

        var text = new StringBuilder();
        text.Append("### Slipway plan: `").Append(target).Append("`\n\n");
        text.Append(succeeded
            ? $"What `./build.sh --target {target}` would run for commit `{commit}` (`--dry-run`: commands resolved, secrets as `***`). Nothing was run.\n\n"
            : $"**The dry run of `{target}` failed** for commit `{commit}`: the deploy would not start. Its output:\n\n");
        text.Append("```text\n").Append(plan).Append("\n```\n");
        if (cut)
        {
            text.Append("\nThe plan is longer than a comment can hold; the rest is in the job's log.\n");
        }

        return text.ToString();
    }
}
