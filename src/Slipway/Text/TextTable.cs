using System.Text;

namespace Slipway;

/// <summary>
/// Plain-text tables for the console and logs (the ledger, the SLO probes, the smoke checks): columns padded to their
/// widest cell and two spaces apart, the last column unpadded so lines carry no trailing spaces.
/// </summary>
public static class TextTable
{
    /// <summary>Renders <paramref name="headers"/> and <paramref name="rows"/>, with a line of dashes under the headers when <paramref name="underline"/>.</summary>
    public static string Render(string[] headers, IReadOnlyList<string[]> rows, bool underline = true)
    {
        var widths = headers.Select((h, column) => rows.Select(r => r[column].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        Line(text, headers, widths);
        if (underline)
        {
            Line(text, [.. widths.Select(w => new string('-', w))], widths);
        }

        foreach (var row in rows)
        {
            Line(text, row, widths);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        for (var i = 0; i < cells.Length - 1; i++)
        {
            text.Append(cells[i].PadRight(widths[i])).Append("  ");
        }

        text.Append(cells[^1]).Append('\n');
    }
}
