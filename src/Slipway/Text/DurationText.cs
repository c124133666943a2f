using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway;

/// <summary>Durations as people write them: <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, or <c>00:05:00</c>.</summary>
public static partial class DurationText
{
    /// <summary>Parses a duration; throws <see cref="FormatException"/> on anything else.</summary>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var match = Pattern().Match(trimmed);
        if (match.Success && trimmed.Length > 0)
        {
            var total = TimeSpan.Zero;
            foreach (Capture part in match.Groups["part"].Captures)
            {
                var unitMatch = UnitPattern().Match(part.Value);
                var number = double.Parse(unitMatch.Groups["n"].Value, CultureInfo.InvariantCulture);
                total += unitMatch.Groups["u"].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(number),
                    "s" => TimeSpan.FromSeconds(number),
                    "m" => TimeSpan.FromMinutes(number),
                    "h" => TimeSpan.FromHours(number),
                    "d" => TimeSpan.FromDays(number),
                    _ => throw new FormatException(),
                };
            }

            return total;
        }

        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) && trimmed.Contains(':', StringComparison.Ordinal))
        {
            return span;
        }

        throw new FormatException($"'{text}' is not a duration: use e.g. 90s, 5m, 1h30m or 250ms.");
    }

    /// <summary>Formats a duration the way <see cref="Parse"/> reads it: <c>1h30m</c>, <c>4.2s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return $"{(int)duration.TotalMilliseconds}ms";
        }

        if (duration < TimeSpan.FromMinutes(1))
        {
            return duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
        }

        var text = string.Empty;
        if (duration.TotalHours >= 1)
        {
            text += $"{(int)duration.TotalHours}h";
        }

        if (duration.Minutes > 0)
        {
            text += $"{duration.Minutes}m";
        }

        if (duration.Seconds > 0)
        {
            text += $"{duration.Seconds}s";
        }

        return text;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h|d))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<u>ms|s|m|h|d)$", RegexOptions.CultureInvariant)]
    private static partial Regex UnitPattern();
}
