using System.Globalization;
using System.Text;

namespace Slipway.Delivery;

/// <summary>The plain-text table of smoke checks that E2ESmoke prints: check, result, duration, detail.</summary>
internal static class SmokeCheckTable
{
    private static readonly string[] Headers = ["CHECK", "RESULT", "TIME", "DETAIL"];

    /// <summary>
    /// Renders <paramref name="results"/> in the order given, one row each; a check that did not run shows no time.
    /// Columns are padded with spaces; every line ends with <c>\n</c>.
    /// </summary>
    public static string Render(IEnumerable<SmokeCheckResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var rows = results.Select(r => new[]
        {
            r.Name,
            r.Status switch
            {
                SmokeCheckStatus.Passed => "ok",
                SmokeCheckStatus.Failed => "FAILED",
                _ => "not run",
            },
            r.Status == SmokeCheckStatus.NotRun ? "-" : Duration(r.Duration),

            // One row per check, whatever a reason contains.
            r.Detail.ReplaceLineEndings(" "),
        }).ToList();
        var widths = Headers.Select((h, column) => rows.Select(r => r[column].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(Headers))
        {
            // The last column is not padded, so lines carry no trailing spaces.
            for (var i = 0; i < row.Length - 1; i++)
            {
                text.Append(row[i].PadRight(widths[i])).Append("  ");
            }

            text.Append(row[^1]).Append('\n');
        }

        return text.ToString();
    }

    // Checks take milliseconds to seconds: two decimals below 10 s say more than the ledger's "0.4s".
    private static string Duration(TimeSpan duration) => duration.TotalSeconds < 10
        ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.00}s")
        : LedgerTable.Duration(duration);
}
