using Slipway.Build;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>
/// What this repository's pipeline says about the machine's tools: Doctor reports cosign (an unstamped build as
/// such), Helm 4 and Helm 3, and the Compose in use with its version; Sign reads an unstamped cosign's major from
/// its flags. The tools are scripted, as Debian 13's cosign 2.5.0 and Compose 2.26.1 answer.
/// </summary>
public sealed class MachineToolsTests
{
    // What Debian 13's cosign 2.5.0 prints: no version stamp, and only the Go version as a number.
    private const string UnstampedCosign = "cosign: A tool for Container Signing, Verification and Storage in an OCI registry.\n\nGitVersion:    devel\nGitCommit:     unknown\nGoVersion:     go1.24.4\n";

    private static RecordingToolRunner Machine(bool composePlugin, string signHelp = "    --tlog-upload=true:\n") => new RecordingToolRunner()
        .Script("cosign", i => Answer(i.Arguments[0].Reveal() == "version" ? UnstampedCosign : signHelp))
        .Script("helm", 0, "v4.1.4+g05fa379\n")
        .Script("helm3", 0, "v3.17.1+g980d8ac\n")
        .Script("docker", i => i.Arguments[0].Reveal() == "compose"
            ? composePlugin ? Answer("2.26.1-4\n") : new ToolResult(1, string.Empty, "docker: 'compose' is not a docker command.\n", TimeSpan.Zero)
            : Answer("Docker version 28.2.2\n"))
        .Script("docker-compose", 0, "1.29.2\n");

    private static ToolResult Answer(string stdout) => new(0, stdout, string.Empty, TimeSpan.Zero);

    [Fact]
    public async Task Doctor_reports_cosign_both_Helm_majors_and_the_Compose_plugin_with_its_version()
    {
        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Doctor"], Machine(composePlugin: true));

        Assert.Matches(@"(?m)^cosign\s+ok\s+devel \(an unstamped build such as Debian's package", run.Out);
        Assert.DoesNotMatch(@"(?m)^cosign\s+ok\s+1\.24\.4", run.Out);
        Assert.Matches(@"(?m)^helm\s+ok\s+v4\.1\.4", run.Out);
        Assert.Matches(@"(?m)^helm3\s+ok\s+v3\.17\.1", run.Out);
        Assert.Matches(@"(?m)^compose\s+ok\s+docker compose \(Compose 2\.26\.1-4, Docker CLI plugin\)$", run.Out);
    }

    [Fact]
    public async Task Without_the_plugin_Doctor_names_the_v1_it_falls_back_to_as_end_of_life()
    {
        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Doctor"], Machine(composePlugin: false));

        Assert.Matches(@"(?m)^compose\s+ok\s+docker-compose \(Compose 1\.29\.2, standalone; v1 is end of life: install Compose v2, the docker compose plugin\)$", run.Out);
    }

    [Fact]
    public async Task Doctor_shows_the_expiry_of_each_environments_proxy_certificate()
    {
        // staging is self_signed with a certificate issued 70 days ago (due for reissue); dev is plain HTTP; prod is on Helm.
        var directory = TestPaths.NewTempDirectory();
        CopyEnvironments(directory);
        var issued = DateTimeOffset.UtcNow.AddDays(-70);
        Slipway.Delivery.Compose.ProxyCertificate.EnsureSelfSigned(Path.Combine(directory, ".slipway", "state", "staging"), "staging", ["localhost"], issued);

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Doctor"], Machine(composePlugin: true), workingDirectory: directory);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var expiry = issued.Add(Slipway.Delivery.Compose.ProxyCertificate.ServerValidity);
        Assert.Contains($"TLS of staging (self_signed): the proxy's certificate expires at {expiry.UtcDateTime:yyyy-MM-dd HH:mm}Z (19 days left): the next DeployStaging issues it again.", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS of dev", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS of prod", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    --tlog-upload=true:\n", "cosign v2 (an unstamped build", false)]
    [InlineData("    --tlog-upload=true:\n    --use-signing-config=true:\n", "cosign v3 (an unstamped build", true)]
    public async Task Sign_reads_an_unstamped_cosigns_major_from_its_sign_flags(string signHelp, string said, bool signingConfigOff)
    {
        var directory = TestPaths.NewTempDirectory();
        CopyEnvironments(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "environments", "signed.yml"), """
            extends: dev
            supply_chain:
              signing:
                mode: key
                key: file:cosign.key
                public_key: cosign.pub

            """);
        new Slipway.Delivery.ReleaseManifest(
            "1.0.0",
            "0123456789abcdef0123456789abcdef01234567",
            DateTimeOffset.UnixEpoch,
            "127.0.0.1:5000",
            [
                new Slipway.Delivery.ReleasedImage("api", "127.0.0.1:5000/slipway/api", "1.0.0", "sha256:" + new string('1', 64)),
                new Slipway.Delivery.ReleasedImage("worker", "127.0.0.1:5000/slipway/worker", "1.0.0", "sha256:" + new string('2', 64)),
            ]).Write(Path.Combine(directory, Slipway.Delivery.ReleaseManifest.DefaultPath));
        var runner = Machine(composePlugin: true, signHelp);

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Sign", "--exclusive", "--dry-run", "--env", "signed", "--signing-offline"], runner, workingDirectory: directory);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains(said, run.Out, StringComparison.Ordinal);
        Assert.Contains(runner.CommandLines, l => l == "cosign sign --help");
        var sign = run.Out.Split('\n').First(l => l.Contains("cosign sign --key", StringComparison.Ordinal));
        Assert.Contains("--tlog-upload=false", sign, StringComparison.Ordinal);
        Assert.Equal(signingConfigOff, sign.Contains("--use-signing-config=false", StringComparison.Ordinal));
    }

    private static void CopyEnvironments(string directory)
    {
        var target = Path.Combine(directory, "environments");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "environments")))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }
}
