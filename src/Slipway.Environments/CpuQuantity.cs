using System.Globalization;

namespace Slipway.Environments;

/// <summary>
/// A CPU amount as Kubernetes and Compose both take it: millicores (<c>250m</c>) or cores
/// (<c>0.5</c>, <c>2</c>). Stored as millicores so the two spellings compare and print the same.
/// </summary>
public readonly record struct CpuQuantity : IComparable<CpuQuantity>
{
    /// <summary>Creates a quantity from a positive number of millicores.</summary>
    /// <param name="millicores">Thousandths of a core; must be positive.</param>
    public CpuQuantity(int millicores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(millicores, 0);
        Millicores = millicores;
    }

    /// <summary>Thousandths of a core.</summary>
    public int Millicores { get; }

    /// <summary>The amount in cores, e.g. 0.25 — the unit <c>docker compose</c> uses.</summary>
    public decimal Cores => Millicores / 1000m;

    /// <summary>Parses <c>250m</c> or <c>0.5</c>; returns false for anything else, zero included.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="quantity">The parsed quantity.</param>
    public static bool TryParse(string? text, out CpuQuantity quantity)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.EndsWith('m'))
        {
            if (int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var millicores) && millicores > 0)
            {
                quantity = new CpuQuantity(millicores);
                return true;
            }

            return false;
        }

        // Kubernetes rejects precision finer than a millicore; so do we, rather than round silently.
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cores)
            && cores > 0 && cores <= 1_000_000 && decimal.Round(cores * 1000) == cores * 1000)
        {
            quantity = new CpuQuantity((int)(cores * 1000));
            return true;
        }

        return false;
    }

    /// <summary>Parses <c>250m</c> or <c>0.5</c> or throws <see cref="FormatException"/>.</summary>
    /// <param name="text">The text to parse.</param>
    public static CpuQuantity Parse(string text) =>
        TryParse(text, out var quantity) ? quantity : throw new FormatException($"'{text}' is not a CPU quantity like 250m or 0.5");

    /// <inheritdoc />
    public int CompareTo(CpuQuantity other) => Millicores.CompareTo(other.Millicores);

    /// <summary>Compares two quantities.</summary>
    public static bool operator <(CpuQuantity left, CpuQuantity right) => left.CompareTo(right) < 0;

    /// <summary>Compares two quantities.</summary>
    public static bool operator >(CpuQuantity left, CpuQuantity right) => left.CompareTo(right) > 0;

    /// <summary>Compares two quantities.</summary>
    public static bool operator <=(CpuQuantity left, CpuQuantity right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two quantities.</summary>
    public static bool operator >=(CpuQuantity left, CpuQuantity right) => left.CompareTo(right) >= 0;

    /// <summary>Whole cores print as cores (<c>2</c>), the rest as millicores (<c>250m</c>).</summary>
    public override string ToString() =>
        Millicores % 1000 == 0
            ? (Millicores / 1000).ToString(CultureInfo.InvariantCulture)
            : Millicores.ToString(CultureInfo.InvariantCulture) + "m";
}
