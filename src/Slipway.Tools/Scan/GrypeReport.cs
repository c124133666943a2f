using System.Collections.Immutable;

namespace Slipway.Tools.Scan;

/// <summary>
/// Reads <c>grype … -o json</c>: <c>matches[]</c>, each with <c>vulnerability{id, severity, fix{versions, state}}</c>
/// and <c>artifact{name, version}</c>.
/// </summary>
/// <remarks>
/// Grype can match one package to one vulnerability more than once (through several matchers or
/// namespaces); each (id, package, version) is reported once. Fix versions are joined with <c>", "</c>, as
/// grype lists one per release line.
/// </remarks>
public static class GrypeReport
{
    /// <summary>The <see cref="Finding.Source"/> of these findings.</summary>
    public const string Source = "grype";

    /// <summary>The findings in <paramref name="json"/>, for <paramref name="target"/> (the image the SBOM describes).</summary>
    /// <exception cref="ScanReportException">The output is not a grype JSON report.</exception>
    public static ImmutableArray<Finding> Parse(string json, string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var document = ReportJson.Parse(json, Source);
        var root = document.RootElement;
        if (!root.TryGetProperty("matches", out _))
        {
            throw new ScanReportException(Source, "it has no 'matches'. Was grype run with '-o json'?");
        }

        var findings = new List<Finding>();
        var index = 0;
        foreach (var match in ReportJson.Items(root, "matches"))
        {
            var where = $"matches[{index++}]";
            var vulnerability = ReportJson.Property(match, "vulnerability");
            var artifact = ReportJson.Property(match, "artifact");
            var id = ReportJson.RequiredText(vulnerability, "id", where + ".vulnerability", Source);
            var package = ReportJson.RequiredText(artifact, "name", where + ".artifact", Source);
            var fixes = ReportJson.Items(ReportJson.Property(vulnerability, "fix"), "versions")
                .Select(v => v.GetString())
                .OfType<string>()
                .Where(v => v.Length > 0)
                .ToList();
            findings.Add(new Finding(
                id,
                ScannerSeverity.Parse(ReportJson.Text(vulnerability, "severity"), Source),
                package,
                ReportJson.Text(artifact, "version"),
                fixes.Count == 0 ? null : string.Join(", ", fixes),
                Source,
                target));
        }

        return [.. findings.Distinct()];
    }
}
