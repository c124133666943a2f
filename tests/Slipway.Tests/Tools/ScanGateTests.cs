using Slipway.Delivery.SupplyChain;
using Slipway.Environments;
using Slipway.Tools.Scan;

namespace Slipway.Tests.Tools;

/// <summary>The vulnerability gate: thresholds, allowances, expiry, merging scanners, and the table.</summary>
public sealed class ScanGateTests
{
    private const string Image = "127.0.0.1:5000/slipway/api:1.0.0";
    private const string Project = "samples/Api/Api.csproj";
    private static readonly DateOnly Today = new(2025, 3, 1);

    private static readonly Finding OpenSsl = new("CVE-2024-5535", Severity.Critical, "libssl3", "3.0.11-1~deb12u2", "3.0.14-1~deb12u1", "grype", Image);
    private static readonly Finding Json = new("GHSA-8g4q-xg66-9fp4", Severity.High, "System.Text.Json", "8.0.4", null, "dotnet", Project);
    private static readonly Finding Ncurses = new("CVE-2023-50495", Severity.Medium, "ncurses-base", "6.4-4", null, "trivy", Image);

    private static VulnerabilityAllowance Allow(string id, string expires, string reason = "not reachable: the API never parses untrusted TLS") =>
        new() { Id = id, Reason = reason, Expires = DateOnly.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) };

    [Fact]
    public void A_finding_above_the_maximum_blocks()
    {
        var result = VulnerabilityGate.Evaluate([OpenSsl], Severity.High, [], Today);

        Assert.False(result.Passed);
        Assert.Equal([OpenSsl], result.Blocking.ToArray());
        Assert.Equal(
            ["CVE-2024-5535 (Critical) in libssl3 3.0.11-1~deb12u2 of 127.0.0.1:5000/slipway/api:1.0.0 is above the maximum severity High; upgrade to 3.0.14-1~deb12u1, or allow it with a reason and an expiry date"],
            result.Failures.ToArray());
    }

    [Fact]
    public void Findings_at_or_below_the_maximum_pass()
    {
        var result = VulnerabilityGate.Evaluate([Json, Ncurses], Severity.High, [], Today);

        Assert.True(result.Passed);
        Assert.Equal([Json, Ncurses], result.Tolerated.ToArray());
        Assert.Empty(result.Failures);
    }

    [Fact]
    public void Maximum_none_tolerates_nothing_at_all()
    {
        var low = Ncurses with { Severity = Severity.Low };

        var result = VulnerabilityGate.Evaluate([low], Severity.None, [], Today);

        Assert.False(result.Passed);
        Assert.Equal([low], result.Blocking.ToArray());
    }

    [Fact]
    public void No_findings_pass_and_say_so()
    {
        var result = VulnerabilityGate.Evaluate([], Severity.None, [], Today);

        Assert.True(result.Passed);
        Assert.Equal("No vulnerabilities found.\n", result.RenderTable());
    }

    [Fact]
    public void An_allowed_finding_passes_and_carries_its_allowance()
    {
        var allowance = Allow("cve-2024-5535", "2025-03-01");

        var result = VulnerabilityGate.Evaluate([OpenSsl], Severity.High, [allowance], Today);

        Assert.True(result.Passed);
        var entry = Assert.Single(result.Allowed);
        Assert.Equal(OpenSsl, entry.Finding);
        Assert.Same(allowance, entry.Allowance);
    }

    [Fact]
    public void An_expired_allowance_blocks_and_quotes_its_reason()
    {
        var allowance = Allow("CVE-2024-5535", "2025-01-31", "base image update pending");

        var result = VulnerabilityGate.Evaluate([OpenSsl], Severity.High, [allowance], Today);

        Assert.False(result.Passed);
        Assert.Empty(result.Blocking);
        Assert.Same(allowance, Assert.Single(result.ExpiredAllowances).Allowance);
        Assert.Equal(
            ["CVE-2024-5535 allowed until 2025-01-31 ('base image update pending') — the allowance expired; fix the vulnerability or renew the allowance with a new reason and date"],
            result.Failures.ToArray());
    }

    [Fact]
    public void A_renewed_allowance_wins_over_the_expired_one_for_the_same_id()
    {
        var result = VulnerabilityGate.Evaluate([OpenSsl], Severity.High, [Allow("CVE-2024-5535", "2025-01-31"), Allow("CVE-2024-5535", "2025-06-30")], Today);

        Assert.True(result.Passed);
        Assert.Equal(new DateOnly(2025, 6, 30), Assert.Single(result.Allowed).Allowance!.Expires);
    }

    [Fact]
    public void An_allowance_for_another_id_does_not_help() =>
        Assert.False(VulnerabilityGate.Evaluate([OpenSsl], Severity.High, [Allow("CVE-2024-9999", "2026-01-01")], Today).Passed);

    [Fact]
    public void An_expired_allowance_for_a_tolerated_finding_changes_nothing() =>
        Assert.True(VulnerabilityGate.Evaluate([Ncurses], Severity.High, [Allow("CVE-2023-50495", "2024-01-01")], Today).Passed);

    [Fact]
    public void The_same_vulnerability_from_two_scanners_is_one_entry_with_the_stricter_severity()
    {
        var fromGrype = OpenSsl with { Severity = Severity.High, FixedVersion = null };
        var fromTrivy = OpenSsl with { Source = "trivy" };

        var result = VulnerabilityGate.Evaluate([fromGrype, fromTrivy], Severity.High, [], Today);

        var entry = Assert.Single(result.Entries);
        Assert.Equal(Severity.Critical, entry.Finding.Severity);
        Assert.Equal("3.0.14-1~deb12u1", entry.Finding.FixedVersion);
        Assert.Equal("grype+trivy", entry.Finding.Source);
        Assert.Equal(GateVerdict.Blocked, entry.Verdict);
    }

    [Fact]
    public void The_table_lists_every_finding_by_severity_then_id_with_its_verdict()
    {
        var zlib = new Finding("CVE-2023-45853", Severity.Critical, "zlib1g", "1:1.2.13.dfsg-1", null, "grype", Image);
        var findings = new[] { Ncurses, Json, zlib, OpenSsl, Json with { Id = "GHSA-2222-3333-4444", Severity = Severity.Low } };
        var allow = new[] { Allow("CVE-2023-45853", "2025-12-31", "MiniZip is not shipped in the image"), Allow("GHSA-8g4q-xg66-9fp4", "2025-02-28") };

        var result = VulnerabilityGate.Evaluate(findings, Severity.Medium, allow, Today);

        Assert.Equal(
            """
            Id                   Severity  Package           Installed         Fixed             Target                            Verdict
            -------------------  --------  ----------------  ----------------  ----------------  --------------------------------  -------------------------------------
            CVE-2023-45853       Critical  zlib1g            1:1.2.13.dfsg-1   -                 127.0.0.1:5000/slipway/api:1.0.0  allowed until 2025-12-31
            CVE-2024-5535        Critical  libssl3           3.0.11-1~deb12u2  3.0.14-1~deb12u1  127.0.0.1:5000/slipway/api:1.0.0  BLOCKED
            GHSA-8g4q-xg66-9fp4  High      System.Text.Json  8.0.4             -                 samples/Api/Api.csproj            BLOCKED: allowance expired 2025-02-28
            CVE-2023-50495       Medium    ncurses-base      6.4-4             -                 127.0.0.1:5000/slipway/api:1.0.0  tolerated
            GHSA-2222-3333-4444  Low       System.Text.Json  8.0.4             -                 samples/Api/Api.csproj            tolerated

            """,
            result.RenderTable());
        Assert.False(result.Passed);
        Assert.Equal(2, result.Failures.Length);
    }
}
