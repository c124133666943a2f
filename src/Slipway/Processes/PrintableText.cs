using System.Globalization;
using System.Text;

namespace Slipway.Processes;

/// <summary>
/// Makes text that came from outside (a file, the command line, a ledger line) safe to echo in a message. Control
/// characters are written as escapes (<c>\n</c>, <c>\e</c>, <c>\u0007</c>), so a value can neither start a new line
/// (which GitHub Actions would read as a workflow command such as <c>::error::</c>) nor carry a terminal control
/// sequence; invisible direction overrides are escaped too, so a value cannot hide or reorder what is printed.
/// </summary>
public static class PrintableText
{
    /// <summary>How many characters of a quoted value a message shows; the rest is cut, so a refused file is never echoed whole.</summary>
    public const int MaxQuotedLength = 80;

    /// <summary>The text with every control or direction-changing character escaped; unchanged when there is none.</summary>
    /// <param name="text">Text from outside.</param>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            var named = c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u001b' => "\\e",
                _ => null,
            };
            if (named is not null)
            {
                builder.Append(named);
            }
            else if (IsUnsafe(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// <c>"text"</c>: escaped, with <c>"</c> and <c>\</c> escaped too, and cut after <see cref="MaxQuotedLength"/>
    /// characters with <c>…</c>, for naming the offending value in a message.
    /// </summary>
    /// <param name="text">Text from outside.</param>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cut = text.Length > MaxQuotedLength;
        var shown = cut ? text[..(char.IsHighSurrogate(text[MaxQuotedLength - 1]) ? MaxQuotedLength - 1 : MaxQuotedLength)] : text;
        shown = Escape(shown.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal));
        return "\"" + shown + (cut ? "…\"" : "\"");
    }

    /// <summary>
    /// One line of output, escaped; a line that GitHub Actions would take for a workflow command (it starts with
    /// <c>::</c>, after any spaces) is prefixed with <c>\</c> so that it is shown instead.
    /// </summary>
    /// <param name="line">One line (it must not hold the line break that ends it).</param>
    public static string Line(string line)
    {
        var escaped = Escape(line);
        return escaped.AsSpan().TrimStart().StartsWith("::", StringComparison.Ordinal) ? "\\" + escaped : escaped;
    }

    private static int IndexOfUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (IsUnsafe(c))
            {
                return i;
            }
        }

        return -1;
    }

    // C0, DEL and C1 controls; line and paragraph separators (some terminals and viewers break lines on them);
    // the bidirectional embeddings, overrides and isolates and the marks (they reorder or hide what follows);
    // a lone surrogate (not text at all).
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200E' or '\u200F' or '\u061C'
            or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
