namespace Slipway.Environments;

/// <summary>"Did you mean" for keys, enum values, schemes and environment names.</summary>
internal static class NameSuggestion
{
    /// <summary>The closest candidate within a typo's reach, or null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        if (name.Length > NameSuggestions.MaxComparedLength)
        {
            return null;
        }

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

    /// <summary>Case-insensitive edit distance, shared with the command line's suggestions.</summary>
    private static int Distance(string a, string b) => NameSuggestions.Distance(a.ToLowerInvariant(), b.ToLowerInvariant());
}
