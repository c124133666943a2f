using System.Text;
using Slipway.Processes;
using Slipway.Targets;
using Spectre.Console;

namespace Slipway.Cli;

/// <summary>The end-of-run summary: a table on the console and Markdown for the GitHub step summary.</summary>
internal static class SummaryRenderer
{
    /// <summary>The console table: every planned target and item with status, duration and reason.</summary>
    public static Table Table(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = new Table().Border(TableBorder.Rounded).Title("Summary");
        table.AddColumn("Target");
        table.AddColumn("Status");
        table.AddColumn(new TableColumn("Duration").RightAligned());
        table.AddColumn("Details");
        foreach (var (name, status, duration, details) in Rows(report))
        {
            table.AddRow(
                new Text(name),
                new Markup(StatusMarkup(status)),
                new Text(duration),
                new Text(details));
        }

        table.AddRow(new Text("Total"), new Markup(report.Succeeded ? "[green]Succeeded[/]" : report.Cancelled ? "[yellow]Cancelled[/]" : "[red]Failed[/]"), new Text(DurationText.Format(report.Duration)), new Text(string.Empty));
        return table;
    }

    /// <summary>The same summary as a Markdown table, for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
    public static string Markdown(RunReport report, IReadOnlyList<string> requested)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(requested);
        var text = new StringBuilder();
        var verdict = report.Succeeded ? "✅ succeeded" : report.Cancelled ? "⚠️ cancelled" : "❌ failed";
        text.Append("### Slipway: ").Append(string.Join(", ", requested)).Append(' ').Append(verdict).Append('\n').Append('\n');
        text.Append("| Target | Status | Duration | Details |\n|---|---|---:|---|\n");
        foreach (var (name, status, duration, details) in Rows(report))
        {
            text.Append("| ").Append(Cell(name)).Append(" | ").Append(Icon(status)).Append(' ').Append(status).Append(" | ")
                .Append(duration).Append(" | ").Append(Cell(details)).Append(" |\n");
        }

        text.Append("| **Total** | | ").Append(DurationText.Format(report.Duration)).Append(" | |\n\n");
        return Redaction.Scrub(text.ToString());
    }

    private static IEnumerable<(string Name, TargetStatus Status, string Duration, string Details)> Rows(RunReport report)
    {
        foreach (var outcome in report.Outcomes)
        {
            yield return (outcome.Name, outcome.Status, outcome.Started ? DurationText.Format(outcome.Duration) : string.Empty, Details(outcome.Reason));
            foreach (var item in outcome.Items)
            {
                yield return ($"  › {item.Name}", item.Status, item.Status is TargetStatus.Succeeded or TargetStatus.Failed or TargetStatus.Cancelled ? DurationText.Format(item.Duration) : string.Empty, Details(item.Reason));
            }
        }
    }

    private static string Details(string? reason) => reason is null ? string.Empty : Redaction.Scrub(reason.Split('\n')[0].TrimEnd('\r'));

    private static string StatusMarkup(TargetStatus status) => status switch
    {
        TargetStatus.Succeeded => "[green]Succeeded[/]",
        TargetStatus.Failed => "[red]Failed[/]",
        TargetStatus.Cancelled => "[yellow]Cancelled[/]",
        TargetStatus.Skipped => "[grey]Skipped[/]",
        _ => "[grey]Not run[/]",
    };

    private static string Icon(TargetStatus status) => status switch
    {
        TargetStatus.Succeeded => "✅",
        TargetStatus.Failed => "❌",
        TargetStatus.Cancelled => "⚠️",
        _ => "⏭️",
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
