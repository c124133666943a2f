using System.Collections.Immutable;

namespace Slipway.Tools.Scan;

/// <summary>
/// Reads <c>trivy … --format json</c>: <c>Results[].Vulnerabilities[]</c> with <c>VulnerabilityID</c>,
/// <c>PkgName</c>, <c>InstalledVersion</c>, <c>Severity</c> and <c>FixedVersion</c>.
/// </summary>
/// <remarks>
/// Trivy writes <c>"Vulnerabilities": null</c> (or leaves it out) for a clean result and an empty
/// <c>FixedVersion</c> when there is no fix; both read as "none". <c>Results</c> may be missing too (it is
/// optional in the report), so a missing <c>SchemaVersion</c> is what marks the text as not a trivy report.
/// </remarks>
public static class TrivyReport
{
    /// <summary>The <see cref="Finding.Source"/> of these findings.</summary>
    public const string Source = "trivy";

    /// <summary>The findings in <paramref name="json"/>, for <paramref name="target"/> (the image the SBOM describes).</summary>
    /// <exception cref="ScanReportException">The output is not a trivy JSON report.</exception>
    public static ImmutableArray<Finding> Parse(string json, string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var document = ReportJson.Parse(json, Source);
        var root = document.RootElement;
        if (!root.TryGetProperty("SchemaVersion", out _))
        {
            throw new ScanReportException(Source, "it has no 'SchemaVersion'. Was trivy run with '--format json'?");
        }

        var findings = new List<Finding>();
        foreach (var result in ReportJson.Items(root, "Results"))
        {
            var index = 0;
            foreach (var vulnerability in ReportJson.Items(result, "Vulnerabilities"))
            {
                var where = $"a vulnerability ({index++}) of {ReportJson.Text(result, "Target") ?? "a result"}";
                findings.Add(new Finding(
                    ReportJson.RequiredText(vulnerability, "VulnerabilityID", where, Source),
                    ScannerSeverity.Parse(ReportJson.Text(vulnerability, "Severity"), Source),
                    ReportJson.RequiredText(vulnerability, "PkgName", where, Source),
                    ReportJson.Text(vulnerability, "InstalledVersion"),
                    ReportJson.Text(vulnerability, "FixedVersion"),
                    Source,
                    target));
            }
        }

        return [.. findings.Distinct()];
    }
}
