using System.Collections.Concurrent;

namespace Slipway.Processes;

/// <summary>
/// Scrubs every known secret value from text. Secrets register themselves when created; the runner,
/// the console reporter, the summary and the GitHub Actions files all pass their text through
/// <see cref="Scrub"/>. Process-wide on purpose: a value known anywhere is hidden everywhere.
/// </summary>
public static class Redaction
{
    /// <summary>
    /// Shorter values are not scrubbed: masking every "x" or "ab" would garble all output while protecting
    /// nothing a guess could not find. Secrets are keys, tokens and passwords, far longer than this.
    /// </summary>
    public const int MinimumLength = 4;

    private static readonly ConcurrentDictionary<string, byte> Values = new(StringComparer.Ordinal);
    private static volatile string[] _ordered = [];

    /// <summary>Raised for each value newly added to the scrub list (GitHub Actions masks it at once).</summary>
    public static event Action<string>? Registered;

    /// <summary>Adds a value (and each of its lines, for multi-line secrets) to the scrub list.</summary>
    public static void Register(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var added = false;
        foreach (var part in Parts(value))
        {
            if (Values.TryAdd(part, 0))
            {
                added = true;
                Registered?.Invoke(part);
            }
        }

        if (added)
        {
            // Longest first, so a secret that contains another is replaced whole.
            _ordered = [.. Values.Keys.OrderByDescending(v => v.Length).ThenBy(v => v, StringComparer.Ordinal)];
        }
    }

    /// <summary>Every registered value, longest first. Used for <c>::add-mask::</c>.</summary>
    public static IReadOnlyList<string> KnownValues => _ordered;

    /// <summary>Returns <paramref name="text"/> with every known secret value replaced by <see cref="Secret.Mask"/>.</summary>
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var values = _ordered;
        foreach (var value in values)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, Secret.Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    private static IEnumerable<string> Parts(string value)
    {
        if (!string.IsNullOrWhiteSpace(value) && value.Trim().Length >= MinimumLength)
        {
            yield return value;
        }

        if (value.Contains('\n', StringComparison.Ordinal))
        {
            foreach (var line in value.Split('\n'))
            {
                var trimmed = line.TrimEnd('\r');
                if (!string.IsNullOrWhiteSpace(trimmed) && trimmed.Trim().Length >= MinimumLength)
                {
                    yield return trimmed;
                }
            }
        }
    }
}
