namespace Slipway.Tools.Git;

/// <summary>
/// The glob syntax of GitHub's branch and tag filters, which Slipway uses wherever a setting names refs
/// (<c>protection.allowed_refs</c>, a keyless signing identity such as <c>…/release.yml@refs/tags/v*</c>): <c>*</c> is
/// any run of characters other than <c>/</c>, <c>**</c> any run at all, everything else literal.
/// </summary>
public static class RefGlob
{
    /// <summary>True when the glob contains a wildcard, false when it names one text exactly.</summary>
    public static bool IsPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return pattern.Contains('*', StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="text"/> matches the glob <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        return MatchesAt(pattern, 0, text, 0);
    }

    /// <summary>
    /// The glob as an anchored regular expression in the syntax Go's RE2 and .NET share (what cosign's
    /// <c>--certificate-identity-regexp</c> takes): <c>*</c> becomes <c>[^/]*</c>, <c>**</c> <c>.*</c>, and every
    /// other character is literal.
    /// </summary>
    public static string ToRegexp(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var regexp = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                var crossesSlash = i + 1 < pattern.Length && pattern[i + 1] == '*';
                regexp.Append(crossesSlash ? ".*" : "[^/]*");
                i += crossesSlash ? 1 : 0;
            }
            else
            {
                // RE2 takes a backslash before any punctuation as that character; nothing else needs one in a ref or a URL.
                if (@"\.+?()|[]{}^$".Contains(c, StringComparison.Ordinal))
                {
                    regexp.Append('\\');
                }

                regexp.Append(c);
            }
        }

        return regexp.Append('$').ToString();
    }

    private static bool MatchesAt(string pattern, int p, string text, int t)
    {
        while (p < pattern.Length)
        {
            if (pattern[p] == '*')
            {
                var crossesSlash = p + 1 < pattern.Length && pattern[p + 1] == '*';
                var rest = p + (crossesSlash ? 2 : 1);
                for (var end = t; end <= text.Length; end++)
                {
                    if (MatchesAt(pattern, rest, text, end))
                    {
                        return true;
                    }

                    if (end < text.Length && text[end] == '/' && !crossesSlash)
                    {
                        return false;
                    }
                }

                return false;
            }

            if (t >= text.Length || pattern[p] != text[t])
            {
                return false;
            }

            p++;
            t++;
        }

        return t == text.Length;
    }
}
