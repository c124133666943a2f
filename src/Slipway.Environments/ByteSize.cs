using System.Globalization;

namespace Slipway.Environments;

/// <summary>
/// An amount of memory in the Kubernetes quantity notation both drivers understand: binary suffixes
/// (<c>512Mi</c>, <c>1Gi</c>), decimal suffixes (<c>500M</c>, <c>1G</c>) or plain bytes.
/// </summary>
public readonly record struct ByteSize : IComparable<ByteSize>
{
    private static readonly (string Suffix, long Multiplier)[] Suffixes =
    [
        ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10),
        ("T", 1_000_000_000_000L), ("G", 1_000_000_000L), ("M", 1_000_000L), ("k", 1_000L),
    ];

    /// <summary>Creates a size from a positive number of bytes.</summary>
    /// <param name="bytes">The number of bytes; must be positive.</param>
    public ByteSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bytes, 0);
        Bytes = bytes;
    }

    /// <summary>The size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Parses <c>512Mi</c>-style text; returns false for anything else, zero included.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="size">The parsed size.</param>
    public static bool TryParse(string? text, out ByteSize size)
    {
        size = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var multiplier = 1L;
        var digits = text.AsSpan();
        foreach (var (suffix, value) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = value;
                digits = digits[..^suffix.Length];
                break;
            }
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        if (digits.IsEmpty || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0 || amount > long.MaxValue / multiplier)
        {
            return false;
        }

        size = new ByteSize(amount * multiplier);
        return true;
    }

    /// <summary>Parses <c>512Mi</c>-style text or throws <see cref="FormatException"/>.</summary>
    /// <param name="text">The text to parse.</param>
    public static ByteSize Parse(string text) =>
        TryParse(text, out var size) ? size : throw new FormatException($"'{text}' is not a size like 512Mi or 1Gi");

    /// <inheritdoc />
    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>Compares two sizes.</summary>
    public static bool operator <(ByteSize left, ByteSize right) => left.CompareTo(right) < 0;

    /// <summary>Compares two sizes.</summary>
    public static bool operator >(ByteSize left, ByteSize right) => left.CompareTo(right) > 0;

    /// <summary>Compares two sizes.</summary>
    public static bool operator <=(ByteSize left, ByteSize right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two sizes.</summary>
    public static bool operator >=(ByteSize left, ByteSize right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical form with the largest suffix that divides exactly, e.g. <c>1536Mi</c>.</summary>
    public override string ToString()
    {
        foreach (var (suffix, value) in Suffixes)
        {
            if (Bytes % value == 0)
            {
                return (Bytes / value).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return Bytes.ToString(CultureInfo.InvariantCulture);
    }
}
