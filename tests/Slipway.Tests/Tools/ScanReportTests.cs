using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Scan;

namespace Slipway.Tests.Tools;

/// <summary>Golden scanner invocations, and reading each scanner's JSON into findings.</summary>
public sealed class ScanReportTests
{
    private const string Project = "samples/Api/Api.csproj";
    private const string Image = "127.0.0.1:5000/slipway/api:1.0.0";

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Dotnet_vulnerable_lists_transitive_packages_as_json()
    {
        var invocation = ScanCli.DotNetVulnerable(Project);

        Assert.Equal("dotnet", invocation.Tool);
        Assert.Equal(["list", Project, "package", "--vulnerable", "--include-transitive", "--format", "json"], Tokens(invocation));
        Assert.Equal("1", invocation.Environment["DOTNET_NOLOGO"].Reveal());
        Assert.Equal([0], invocation.SuccessExitCodes.ToArray());
    }

    [Fact]
    public void Grype_scans_the_sbom_without_checking_for_its_own_update() =>
        Assert.Equal("GRYPE_CHECK_FOR_APP_UPDATE=false grype sbom:out/api.cdx.json -o json", ScanCli.GrypeSbom("out/api.cdx.json").ToDisplayString());

    [Fact]
    public void Trivy_scans_the_sbom_quietly() =>
        Assert.Equal(["sbom", "out/api.cdx.json", "--format", "json", "--quiet"], Tokens(ScanCli.TrivySbom("out/api.cdx.json")));

    [Fact]
    public void Invocations_refuse_an_empty_path()
    {
        Assert.Throws<ArgumentException>(() => ScanCli.DotNetVulnerable(""));
        Assert.Throws<ArgumentException>(() => ScanCli.GrypeSbom(" "));
        Assert.Throws<ArgumentException>(() => ScanCli.TrivySbom(""));
    }

    [Fact]
    public void Dotnet_report_yields_one_finding_per_advisory_across_frameworks()
    {
        // Two target frameworks resolve the same vulnerable transitive package: one finding, not two.
        const string json = """
            {
              "version": 1,
              "parameters": "--vulnerable --include-transitive",
              "sources": [ "https://api.nuget.org/v3/index.json" ],
              "projects": [
                {
                  "path": "/repo/samples/Api/Api.csproj",
                  "frameworks": [
                    {
                      "framework": "net10.0",
                      "topLevelPackages": [
                        { "id": "Npgsql", "requestedVersion": "8.0.2", "resolvedVersion": "8.0.2",
                          "vulnerabilities": [ { "severity": "High", "advisoryurl": "https://github.com/advisories/GHSA-x9vc-6hfv-hg8c" } ] }
                      ],
                      "transitivePackages": [
                        { "id": "System.Text.Json", "resolvedVersion": "8.0.4",
                          "vulnerabilities": [ { "severity": "Moderate", "advisoryurl": "https://github.com/advisories/GHSA-8g4q-xg66-9fp4/" } ] }
                      ]
                    },
                    {
                      "framework": "net9.0",
                      "transitivePackages": [
                        { "id": "System.Text.Json", "resolvedVersion": "8.0.4",
                          "vulnerabilities": [ { "severity": "Moderate", "advisoryurl": "https://github.com/advisories/GHSA-8g4q-xg66-9fp4/" } ] }
                      ]
                    }
                  ]
                }
              ]
            }
            """;

        var findings = DotNetVulnerabilityReport.Parse(json, Project);

        Assert.Equal(
            [
                new Finding("GHSA-x9vc-6hfv-hg8c", Severity.High, "Npgsql", "8.0.2", null, "dotnet", Project),
                new Finding("GHSA-8g4q-xg66-9fp4", Severity.Medium, "System.Text.Json", "8.0.4", null, "dotnet", Project),
            ],
            findings.ToArray());
    }

    [Fact]
    public void A_clean_dotnet_report_has_no_frameworks_and_no_findings()
    {
        // The real output for samples/Api (SDK 10.0.401) when nothing is vulnerable.
        const string json = """
            {
              "version": 1,
              "parameters": "--vulnerable --include-transitive",
              "sources": [ "https://api.nuget.org/v3/index.json" ],
              "projects": [ { "path": "/work/wt-sbom/samples/Api/Api.csproj" } ]
            }
            """;

        Assert.Empty(DotNetVulnerabilityReport.Parse(json, Project));
    }

    [Fact]
    public void A_dotnet_report_with_an_error_fails_instead_of_passing_with_fewer_findings()
    {
        const string json = """
            {
              "version": 1,
              "parameters": "--vulnerable --include-transitive",
              "problems": [ { "project": "/repo/samples/Api/Api.csproj", "level": "error", "text": "No assets file was found for `/repo/samples/Api/Api.csproj`." } ],
              "projects": [ { "path": "/repo/samples/Api/Api.csproj" } ]
            }
            """;

        var error = Assert.Throws<ScanReportException>(() => DotNetVulnerabilityReport.Parse(json, Project));

        Assert.Equal("dotnet", error.Scanner);
        Assert.StartsWith("Cannot read the dotnet report: it reports an error: No assets file was found", error.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet restore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grype_report_maps_fix_versions_and_merges_repeated_matches()
    {
        const string json = """
            {
              "matches": [
                {
                  "vulnerability": { "id": "CVE-2024-5535", "namespace": "debian:distro:debian:12", "severity": "Critical",
                                     "fix": { "versions": [ "3.0.14-1~deb12u1" ], "state": "fixed" } },
                  "matchDetails": [ { "type": "exact-indirect-match", "matcher": "dpkg-matcher" } ],
                  "artifact": { "name": "libssl3", "version": "3.0.11-1~deb12u2", "type": "deb", "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2" }
                },
                {
                  "vulnerability": { "id": "CVE-2024-5535", "severity": "Critical", "fix": { "versions": [ "3.0.14-1~deb12u1" ], "state": "fixed" } },
                  "artifact": { "name": "libssl3", "version": "3.0.11-1~deb12u2", "type": "deb" }
                },
                {
                  "vulnerability": { "id": "CVE-2011-3374", "severity": "Negligible", "fix": { "versions": [], "state": "not-fixed" } },
                  "artifact": { "name": "apt", "version": "2.6.1", "type": "deb" }
                },
                {
                  "vulnerability": { "id": "CVE-2025-0001", "severity": "Unknown", "fix": { "versions": [ "1.2.3", "2.0.1" ], "state": "fixed" } },
                  "artifact": { "name": "zlib1g", "version": "1:1.2.13.dfsg-1", "type": "deb" }
                }
              ],
              "source": { "type": "sbom", "target": "out/api.cdx.json" },
              "descriptor": { "name": "grype", "version": "0.87.0" }
            }
            """;

        var findings = GrypeReport.Parse(json, Image);

        Assert.Equal(
            [
                new Finding("CVE-2024-5535", Severity.Critical, "libssl3", "3.0.11-1~deb12u2", "3.0.14-1~deb12u1", "grype", Image),
                new Finding("CVE-2011-3374", Severity.Low, "apt", "2.6.1", null, "grype", Image),
                new Finding("CVE-2025-0001", ScannerSeverity.Unrated, "zlib1g", "1:1.2.13.dfsg-1", "1.2.3, 2.0.1", "grype", Image),
            ],
            findings.ToArray());
    }

    [Fact]
    public void A_clean_grype_report_has_no_findings() =>
        Assert.Empty(GrypeReport.Parse("""{ "matches": [], "source": { "type": "sbom" } }""", Image));

    [Fact]
    public void Trivy_report_reads_every_result_and_treats_null_vulnerabilities_and_empty_fixes_as_none()
    {
        const string json = """
            {
              "SchemaVersion": 2,
              "ArtifactName": "out/api.cdx.json",
              "ArtifactType": "cyclonedx",
              "Results": [
                {
                  "Target": "out/api.cdx.json (debian 12.8)",
                  "Class": "os-pkgs",
                  "Type": "debian",
                  "Vulnerabilities": [
                    { "VulnerabilityID": "CVE-2024-5535", "PkgName": "libssl3", "InstalledVersion": "3.0.11-1~deb12u2",
                      "FixedVersion": "3.0.14-1~deb12u1", "Status": "fixed", "Severity": "CRITICAL" },
                    { "VulnerabilityID": "CVE-2023-50495", "PkgName": "ncurses-base", "InstalledVersion": "6.4-4",
                      "FixedVersion": "", "Status": "affected", "Severity": "MEDIUM" },
                    { "VulnerabilityID": "CVE-2025-0002", "PkgName": "tzdata", "InstalledVersion": "2024a-0+deb12u1", "Severity": "UNKNOWN" }
                  ]
                },
                { "Target": "Nuget", "Class": "lang-pkgs", "Type": "nuget", "Vulnerabilities": null },
                { "Target": "dotnet-core", "Class": "lang-pkgs", "Type": "dotnet-core",
                  "Vulnerabilities": [
                    { "VulnerabilityID": "GHSA-8g4q-xg66-9fp4", "PkgName": "System.Text.Json", "InstalledVersion": "8.0.4",
                      "FixedVersion": "8.0.5", "Severity": "HIGH" }
                  ] }
              ]
            }
            """;

        var findings = TrivyReport.Parse(json, Image);

        Assert.Equal(
            [
                new Finding("CVE-2024-5535", Severity.Critical, "libssl3", "3.0.11-1~deb12u2", "3.0.14-1~deb12u1", "trivy", Image),
                new Finding("CVE-2023-50495", Severity.Medium, "ncurses-base", "6.4-4", null, "trivy", Image),
                new Finding("CVE-2025-0002", ScannerSeverity.Unrated, "tzdata", "2024a-0+deb12u1", null, "trivy", Image),
                new Finding("GHSA-8g4q-xg66-9fp4", Severity.High, "System.Text.Json", "8.0.4", "8.0.5", "trivy", Image),
            ],
            findings.ToArray());
    }

    [Fact]
    public void A_trivy_report_without_results_is_clean() =>
        Assert.Empty(TrivyReport.Parse("""{ "SchemaVersion": 2, "ArtifactName": "out/api.cdx.json" }""", Image));

    [Theory]
    [InlineData("Negligible", Severity.Low)]
    [InlineData("low", Severity.Low)]
    [InlineData("Moderate", Severity.Medium)]
    [InlineData("MEDIUM", Severity.Medium)]
    [InlineData("High", Severity.High)]
    [InlineData("CRITICAL", Severity.Critical)]
    [InlineData("Unknown", Severity.High)]
    [InlineData("", Severity.High)]
    [InlineData(null, Severity.High)]
    public void Severity_words_map_onto_the_policy_scale(string? word, Severity expected) =>
        Assert.Equal(expected, ScannerSeverity.Parse(word, "grype"));

    [Fact]
    public void An_unknown_severity_word_fails_the_scan_rather_than_being_guessed() =>
        Assert.Equal(
            "Cannot read the trivy report: unknown severity 'SEVERE'. Expected Negligible, Low, Medium/Moderate, High, Critical or Unknown.",
            Assert.Throws<ScanReportException>(() => ScannerSeverity.Parse("SEVERE", "trivy")).Message);

    [Fact]
    public void Output_that_is_not_the_expected_report_names_the_scanner_and_the_likely_cause()
    {
        Assert.Contains("no 'matches'. Was grype run with '-o json'?", Assert.Throws<ScanReportException>(() => GrypeReport.Parse("{}", Image)).Message, StringComparison.Ordinal);
        Assert.Contains("no 'SchemaVersion'", Assert.Throws<ScanReportException>(() => TrivyReport.Parse("""{ "Results": [] }""", Image)).Message, StringComparison.Ordinal);
        Assert.Contains("no 'projects'", Assert.Throws<ScanReportException>(() => DotNetVulnerabilityReport.Parse("""{ "version": 1 }""", Project)).Message, StringComparison.Ordinal);
        Assert.Contains("the output is empty", Assert.Throws<ScanReportException>(() => TrivyReport.Parse("", Image)).Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Assert.Throws<ScanReportException>(() => GrypeReport.Parse("1 error occurred: failed to load vulnerability db", Image)).Message, StringComparison.Ordinal);
        Assert.Contains("has no PkgName", Assert.Throws<ScanReportException>(() => TrivyReport.Parse("""{ "SchemaVersion": 2, "Results": [ { "Target": "t", "Vulnerabilities": [ { "VulnerabilityID": "CVE-1" } ] } ] }""", Image)).Message, StringComparison.Ordinal);
    }
}
