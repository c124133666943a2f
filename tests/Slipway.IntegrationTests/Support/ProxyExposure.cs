using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.IntegrationTests.Support;

/// <summary>
/// How long a bad release kept receiving requests after the decision to take traffic off it, measured on the proxy's
/// own request log (each line's accept date, to the millisecond, on the host's clock): a bound on what the system did,
/// which holds on a busy machine, unlike a count of failed requests that moves with the load generator's pace.
/// </summary>
public static partial class ProxyExposure
{
    /// <summary>One request of HAProxy's log: when it was accepted, which server of which backend took it, its status.</summary>
    /// <remarks><see cref="Dispatched"/> is when it got its server: received (<see cref="Accepted"/>) plus the time to
    /// receive the whole request and the time queued (HAProxy's TR and Tw). <see cref="Active"/> is HAProxy's Ta, from
    /// the first byte of the request to the last of the answer; <see cref="Tag"/> the load generator's
    /// <see cref="LoadGenerator.TagParameter"/> in its query, when it has one.</remarks>
    public sealed record LoggedRequest(DateTimeOffset Accepted, string Backend, string Server, int Status, TimeSpan Waited = default, TimeSpan Active = default, long? Tag = null)
    {
        public DateTimeOffset Dispatched => Accepted + Waited;
    }

    /// <summary>The request lines of <paramref name="log"/> (<c>docker logs</c> of the proxy).</summary>
    public static IReadOnlyList<LoggedRequest> Parse(string log) =>
        [.. log.Split('\n').Select(l => RequestLine().Match(l)).Where(m => m.Success).Select(m => new LoggedRequest(
            DateTimeOffset.ParseExact(m.Groups["date"].Value, "dd/MMM/yyyy:HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            m.Groups["backend"].Value, m.Groups["server"].Value, int.Parse(m.Groups["status"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds(Math.Max(0, Milliseconds(m.Groups["tr"].Value)) + Math.Max(0, Milliseconds(m.Groups["tw"].Value))),
            TimeSpan.FromMilliseconds(Milliseconds(m.Groups["ta"].Value)),
            m.Groups["tag"].Success ? long.Parse(m.Groups["tag"].Value, CultureInfo.InvariantCulture) : null))];

    /// <summary>The log of the proxy of Compose project <paramref name="project"/> (<c>docker logs</c>).</summary>
    public static string Log(DockerWorkspace workspace, string project)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return Log(workspace.DockerHost, project);
    }

    /// <summary>The log of the proxy of Compose project <paramref name="project"/> on the engine at <paramref name="dockerHost"/>.</summary>
    public static string Log(string dockerHost, string project)
    {
        var proxy = HostProcess.Run("docker", ["ps", "--quiet", "--filter", $"label=com.docker.compose.project={project}", "--filter", "label=com.docker.compose.service=proxy"], null, ("DOCKER_HOST", dockerHost)).Trim();
        return HostProcess.Run("docker", ["logs", proxy], null, ("DOCKER_HOST", dockerHost));
    }

    private static int Milliseconds(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>
    /// From the decision to the last request the proxy accepted for one of <paramref name="servers"/> at or after
    /// <paramref name="from"/>; zero when none came after the decision.
    /// </summary>
    public static (TimeSpan Exposure, int RequestsAfter, DateTimeOffset? Last) After(IEnumerable<LoggedRequest> requests, IReadOnlyCollection<string> servers, DateTimeOffset from, DateTimeOffset decided) =>
        After(requests, servers.Contains, from, decided);

    /// <summary>As above, for the servers whose name <paramref name="bad"/> accepts (e.g. every canary slot).</summary>
    public static (TimeSpan Exposure, int RequestsAfter, DateTimeOffset? Last) After(IEnumerable<LoggedRequest> requests, Func<string, bool> bad, DateTimeOffset from, DateTimeOffset decided)
    {
        var routed = requests.Where(r => bad(r.Server) && r.Accepted >= from.AddMilliseconds(-1)).ToList();
        var last = routed.Count == 0 ? (DateTimeOffset?)null : routed.Max(r => r.Accepted);
        var after = routed.Count(r => r.Accepted > decided);
        return (last is { } l && l > decided ? l - decided : TimeSpan.Zero, after, last);
    }

    /// <summary>
    /// The first request at or after <paramref name="from"/> that one of the servers <paramref name="bad"/> accepts
    /// answered with a 5xx: when the bad release first hurt a user, the start of what a guard or an analysis must catch.
    /// </summary>
    public static DateTimeOffset? FirstFailure(IEnumerable<LoggedRequest> requests, Func<string, bool> bad, DateTimeOffset from) =>
        requests.Where(r => bad(r.Server) && r.Status >= 500 && r.Accepted >= from.AddMilliseconds(-1)).Select(r => (DateTimeOffset?)r.Accepted).Min();

    /// <summary>A time the deploy printed (<c>2026-12-03T08:30:16.152Z</c>).</summary>
    public static DateTimeOffset Stamp(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // client:port [03/Dec/2026:08:30:16.152] frontend backend/server TR/Tw/Tc/Tr/Ta status ... "GET /orders?limit=1&lg=42 HTTP/1.1"
    [GeneratedRegex(@"^\S+ \[(?<date>[^\]]+)\] \S+ (?<backend>[^\s/]+)/(?<server>\S+) (?<tr>-?\d+)/(?<tw>-?\d+)/-?\d+/-?\d+/\+?(?<ta>-?\d+) (?<status>-?\d+) (?:.*""[A-Z]+ \S*[?&]lg=(?<tag>\d+)[&\s])?", RegexOptions.CultureInvariant)]
    private static partial Regex RequestLine();
}
