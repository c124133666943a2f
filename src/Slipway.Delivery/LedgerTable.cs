using System.Globalization;
using System.Text;

namespace Slipway.Delivery;

/// <summary>The plain-text table the <c>History --env X</c> target prints.</summary>
internal static class LedgerTable
{
    private const int ShortCommitLength = 7;

    private static readonly string[] Headers = ["WHEN (UTC)", "ACTION", "VERSION", "REVISION", "COMMIT", "WHO", "DURATION", "DETAILS"];

    /// <summary>
    /// Renders <paramref name="entries"/>, given oldest first as <see cref="ReleaseLedger.ReadAll"/> returns them, newest
    /// first: when, action, version (with <c>-&gt; target</c> for a rollback), revision (with <c>-&gt; target</c>; <c>-</c> for an
    /// entry from before revisions), short commit, who, duration, details.
    /// Columns are padded with spaces; every line ends with <c>\n</c>. An empty history renders as one sentence.
    /// </summary>
    public static string Render(IEnumerable<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rows = entries.Reverse().Select(Cells).ToList();
        if (rows.Count == 0)
        {
            return "No releases recorded for this environment yet.\n";
        }

        return TextTable.Render(Headers, rows);
    }

    /// <summary><c>45s</c>, <c>2m 05s</c>, <c>1h 03m</c>: short enough for a column, precise enough to compare runs.</summary>
    internal static string Duration(TimeSpan duration) => duration switch
    {
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}h {duration.Minutes:00}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{duration.Minutes}m {duration.Seconds:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.#}s"),
    };

    private static string[] Cells(LedgerEntry e) =>
    [
        e.When.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        e.Action.ToString(),
        e.RolledBackTo is null ? e.Version : $"{e.Version} -> {e.RolledBackTo}",
        e.RolledBackTo is null ? e.RevisionId ?? "-" : $"{e.RevisionId ?? "-"} -> {e.RolledBackToRevision ?? "-"}",
        Processes.PrintableText.Escape(e.Commit.Length > ShortCommitLength ? e.Commit[..ShortCommitLength] : e.Commit),
        Processes.PrintableText.Escape(e.Who),
        Duration(e.Duration),

        // One row per entry, whatever a reason contains; a tool's colour codes or a hand-edited line print as escapes.
        Processes.PrintableText.Escape(e.Details.ReplaceLineEndings(" ")),
    ];
}
