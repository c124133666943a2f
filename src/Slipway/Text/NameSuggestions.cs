namespace Slipway;

/// <summary>"Did you mean" for unknown names, by edit distance.</summary>
public static class NameSuggestions
{
    /// <summary>Names longer than this get no suggestion.</summary>
    public const int MaxComparedLength = 128;

    /// <summary>The candidates closest to <paramref name="name"/>, best first (at most three).</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);

        // A name far longer than any real one is no typo; comparing it would cost its length times each candidate's.
        if (name.Length > MaxComparedLength)
        {
            return [];
        }

        var lowered = name.ToLowerInvariant();
        return [.. candidates
            .Select(c => (Candidate: c, Distance: Distance(lowered, c.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(2, name.Length / 3) || c.Candidate.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Candidate, StringComparer.Ordinal)
            .Take(3)
            .Select(c => c.Candidate)];
    }

    /// <summary>" Did you mean 'Publish'?" or an empty string.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates, string prefix = "")
    {
        var closest = Closest(name, candidates);
        return closest.Count == 0 ? string.Empty : $" Did you mean {string.Join(" or ", closest.Select(c => $"'{prefix}{c}'"))}?";
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
