namespace Slipway.Environments;

/// <summary>"Did you mean" for keys, enum values, schemes and environment names.</summary>
internal static class NameSuggestion
{
    /// <summary>The closest candidate within a typo's reach, or null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var reach = Math.Clamp(name.Length / 3, 1, 3);
        foreach (var candidate in candidates)
        {
            var distance = Distance(name, candidate);
            if (distance <= reach && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary><c>; did you mean "x"?</c> or an empty string.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } match ? $"; did you mean \"{match}\"?" : string.Empty;

    /// <summary>
    /// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one
    /// substring): a swapped pair of letters, the most common typo, costs one edit instead of two.
    /// </summary>
    public static int Distance(string a, string b)
    {
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
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
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
