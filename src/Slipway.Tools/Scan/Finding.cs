namespace Slipway.Tools.Scan;

/// <summary>One vulnerability a scanner reported in one package of one target.</summary>
/// <param name="Id">The advisory id, e.g. <c>CVE-2025-12345</c> or <c>GHSA-xxxx-xxxx-xxxx</c>.</param>
/// <param name="Severity">The severity, mapped from the scanner's scale by <see cref="ScannerSeverity"/>.</param>
/// <param name="Package">The vulnerable package, e.g. <c>libssl3</c> or <c>System.Text.Json</c>.</param>
/// <param name="InstalledVersion">The version found, when the scanner says.</param>
/// <param name="FixedVersion">The version(s) that fix it, when known; null when no fix is published.</param>
/// <param name="Source">Which scanner reported it: <c>dotnet</c>, <c>grype</c> or <c>trivy</c>.</param>
/// <param name="Target">What was scanned: a project path or an image reference.</param>
public sealed record Finding(
    string Id,
    Severity Severity,
    string Package,
    string? InstalledVersion,
    string? FixedVersion,
    string Source,
    string Target);

/// <summary>
/// Maps each scanner's severity words onto <see cref="Severity"/>, case-insensitively.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>Moderate</c> (NuGet, GitHub advisories) is <see cref="Severity.Medium"/>.</item>
/// <item><c>Negligible</c> (grype; Debian's "unimportant") is <see cref="Severity.Low"/>: it is a rating, the lowest one.</item>
/// <item><c>Unknown</c>, empty or missing is <see cref="Severity.High"/>. An unrated advisory is usually a new one
/// not yet scored, not a harmless one; calling it Low would let it through every policy silently. As High it
/// blocks a policy stricter than the default (<c>maxSeverity: high</c>) until it is rated or allowed.</item>
/// <item>Any other word is an error: a scanner that changed its scale should fail the scan, not be guessed at.</item>
/// </list>
/// </remarks>
public static class ScannerSeverity
{
    /// <summary>What an unrated finding counts as; see the remarks on <see cref="ScannerSeverity"/>.</summary>
    public const Severity Unrated = Severity.High;

    /// <summary>Maps <paramref name="text"/> as reported by <paramref name="source"/>.</summary>
    /// <exception cref="ScanReportException">The word is not on any known scale.</exception>
    public static Severity Parse(string? text, string source) =>
        text?.Trim().ToUpperInvariant() switch
        {
            null or "" or "UNKNOWN" => Unrated,
            "NEGLIGIBLE" or "LOW" => Severity.Low,
            "MEDIUM" or "MODERATE" => Severity.Medium,
            "HIGH" => Severity.High,
            "CRITICAL" => Severity.Critical,
            _ => throw new ScanReportException(source, $"unknown severity '{text}'. Expected Negligible, Low, Medium/Moderate, High, Critical or Unknown."),
        };
}

/// <summary>A scanner's output could not be read. The message names the scanner and what was wrong.</summary>
public sealed class ScanReportException : Exception
{
    /// <summary>Creates the exception: <c>Cannot read the SOURCE report: PROBLEM</c>.</summary>
    public ScanReportException(string source, string problem)
        : base($"Cannot read the {source} report: {problem}")
    {
        Scanner = source;
    }

    /// <summary>Which scanner wrote the report: <c>dotnet</c>, <c>grype</c> or <c>trivy</c>.</summary>
    public string Scanner { get; }
}
