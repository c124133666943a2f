using System.Globalization;
using System.Text;

namespace Slipway.Environments;

/// <summary>
/// A positive length of time written the way operators write it: <c>90s</c>, <c>30m</c>, <c>1h30m</c>,
/// <c>7d</c>, <c>500ms</c>. Units go from largest to smallest, each at most once, so a value has one
/// obvious reading; a bare number is rejected because "30" could mean seconds or minutes.
/// </summary>
public readonly record struct Duration : IComparable<Duration>
{
    private static readonly (string Unit, TimeSpan Length)[] Units =
    [
        ("d", TimeSpan.FromDays(1)),
        ("h", TimeSpan.FromHours(1)),
        ("m", TimeSpan.FromMinutes(1)),
        ("s", TimeSpan.FromSeconds(1)),
        ("ms", TimeSpan.FromMilliseconds(1)),
    ];

    /// <summary>Creates a duration from a positive <see cref="TimeSpan"/>.</summary>
    /// <param name="value">The length of time; must be positive.</param>
    public Duration(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        Value = value;
    }

    /// <summary>The length of time.</summary>
    public TimeSpan Value { get; }

    /// <summary>The longest duration that parses: ten years (<c>3650d</c>). Longer text is refused, never overflowed.</summary>
    public static TimeSpan MaxValue { get; } = TimeSpan.FromDays(3650);

    /// <summary>Parses <c>1h30m</c>-style text; returns false for anything else, zero and more than <see cref="MaxValue"/> included.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="duration">The parsed duration.</param>
    public static bool TryParse(string? text, out Duration duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var total = TimeSpan.Zero;
        var position = 0;
        var nextUnit = 0;
        while (position < text.Length)
        {
            var digitsStart = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            if (position == digitsStart || position - digitsStart > 9)
            {
                return false;
            }

            var amount = int.Parse(text.AsSpan(digitsStart, position - digitsStart), CultureInfo.InvariantCulture);
            var unitStart = position;
            while (position < text.Length && char.IsAsciiLetterLower(text[position]))
            {
                position++;
            }

            var unit = text.AsSpan(unitStart, position - unitStart);
            var index = FindUnit(unit, nextUnit);
            if (index < 0)
            {
                return false;
            }

            // Nine digits of days would overflow TimeSpan: add up in ticks, bounded, instead of letting it throw.
            var ticks = Units[index].Length.Ticks * (long)amount;
            if (ticks > MaxValue.Ticks || total.Ticks + ticks > MaxValue.Ticks)
            {
                return false;
            }

            total += TimeSpan.FromTicks(ticks);
            nextUnit = index + 1;
        }

        if (total <= TimeSpan.Zero)
        {
            return false;
        }

        duration = new Duration(total);
        return true;
    }

    /// <summary>Parses <c>1h30m</c>-style text or throws <see cref="FormatException"/>.</summary>
    /// <param name="text">The text to parse.</param>
    public static Duration Parse(string text) =>
        TryParse(text, out var duration) ? duration : throw new FormatException($"'{text}' is not a duration like 30s, 5m or 1h30m");

    /// <inheritdoc />
    public int CompareTo(Duration other) => Value.CompareTo(other.Value);

    /// <summary>Compares two durations.</summary>
    public static bool operator <(Duration left, Duration right) => left.CompareTo(right) < 0;

    /// <summary>Compares two durations.</summary>
    public static bool operator >(Duration left, Duration right) => left.CompareTo(right) > 0;

    /// <summary>Compares two durations.</summary>
    public static bool operator <=(Duration left, Duration right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two durations.</summary>
    public static bool operator >=(Duration left, Duration right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical form, e.g. <c>1h30m</c>; parsing it gives the same duration back.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        var rest = Value;
        foreach (var (unit, length) in Units)
        {
            var count = rest.Ticks / length.Ticks;
            if (count > 0)
            {
                builder.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
                rest -= TimeSpan.FromTicks(count * length.Ticks);
            }
        }

        return builder.Length == 0 ? "0s" : builder.ToString();
    }

    private static int FindUnit(ReadOnlySpan<char> unit, int from)
    {
        for (var i = from; i < Units.Length; i++)
        {
            if (unit.SequenceEqual(Units[i].Unit))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>The longest value a <see cref="Duration"/> key accepts, when it is not a wait (see <see cref="ForWaits"/>).</summary>
/// <param name="maximum">The longest duration, e.g. <c>3650d</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class MaximumDurationAttribute(string maximum) : Attribute
{
    /// <summary>The longest wait or timeout: timers take about 24 days at most.</summary>
    public const string ForWaits = "24d";

    /// <summary>The longest duration.</summary>
    public string Maximum { get; } = maximum;
}
