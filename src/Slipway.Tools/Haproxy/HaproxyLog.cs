using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Haproxy;

/// <summary>
/// One request as HAProxy's <c>option httplog</c> logs it: which backend and server answered, the status, and the
/// server's response time. Lines that are not request logs (start-up notices, alerts) are not requests.
/// </summary>
/// <param name="Backend">The backend, e.g. <c>app</c>.</param>
/// <param name="Server">The server slot that answered, e.g. <c>canary1</c>; <c>&lt;NOSRV&gt;</c> when none was chosen.</param>
/// <param name="Status">The HTTP status sent to the client; -1 when the connection ended before one was sent.</param>
/// <param name="ResponseTime">
/// <c>Tr</c>: from the request sent to the server until its response headers arrived; null when the server never
/// answered (<c>-1</c> in the log).
/// </param>
public sealed partial record HaproxyLogRequest(string Backend, string Server, int Status, TimeSpan? ResponseTime)
{
    /// <summary>True when the client got no good answer: a 5xx, or no status at all.</summary>
    public bool Failed => Status is < 0 or >= 500;

    /// <summary>
    /// Reads the request logs out of <paramref name="text"/> (e.g. <c>docker logs</c> of the proxy), skipping every
    /// other line. The default HTTP format is
    /// <c>client:port [date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes …</c>.
    /// </summary>
    public static IReadOnlyList<HaproxyLogRequest> ParseAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var requests = new List<HaproxyLogRequest>();
        foreach (var line in text.Split('\n'))
        {
            if (TryParse(line, out var request))
            {
                requests.Add(request);
            }
        }

        return requests;
    }

    /// <summary>Parses one line; false when it is not a request log.</summary>
    public static bool TryParse(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HaproxyLogRequest? request)
    {
        request = null;
        if (string.IsNullOrWhiteSpace(line))
        {
            return false;
        }

        var match = HttpLogLine().Match(line);
        if (!match.Success)
        {
            return false;
        }

        var tr = int.Parse(match.Groups["tr"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        request = new HaproxyLogRequest(
            match.Groups["backend"].Value,
            match.Groups["server"].Value,
            int.Parse(match.Groups["status"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            tr < 0 ? null : TimeSpan.FromMilliseconds(tr));
        return true;
    }

    // client [accept date] frontend[~] backend/server TR/Tw/Tc/Tr/Ta status ...; Ta may carry a '+' (logasap).
    [GeneratedRegex(@"^\S+ \[[^\]]+\] \S+ (?<backend>[^\s/]+)/(?<server>\S+) -?\d+/-?\d+/-?\d+/(?<tr>-?\d+)/\+?-?\d+ (?<status>-?\d+) ", RegexOptions.CultureInvariant)]
    private static partial Regex HttpLogLine();
}
