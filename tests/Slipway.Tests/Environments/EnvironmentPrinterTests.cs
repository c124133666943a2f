using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class EnvironmentPrinterTests
{
    [Fact]
    public void The_printer_shows_secret_references_and_never_a_resolved_value()
    {
        const string Value = "hunter2-never-print-me";
        var staging = RealEnvironmentTests.Load("staging");
        var resolver = SecretResolver.Create(new Dictionary<string, string> { ["REGISTRY_PASSWORD"] = Value }, RepositoryRoot.Path);
        _ = staging.Registry.Password!.Resolve(resolver);

        foreach (var withOrigins in new[] { false, true })
        {
            var text = EnvironmentPrinter.Render(staging, withOrigins);

            Assert.DoesNotContain(Value, text, StringComparison.Ordinal);
            Assert.Contains("password: env:REGISTRY_PASSWORD", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void With_origins_each_value_names_the_file_and_line_that_set_it()
    {
        var text = EnvironmentPrinter.Render(RealEnvironmentTests.Load("dev"), withOrigins: true);
        var lines = text.Split('\n');

        Assert.Equal("# environment: dev (layers: environments/base.yml, environments/dev.yml)", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("  on: pull_request  # environments/dev.yml:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("    project: slipway-dev  # environments/base.yml:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("      retention: 1d  # environments/dev.yml:", StringComparison.Ordinal));
        Assert.Contains("      directory: .slipway/backups  # default\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_origins_the_output_is_plain_yaml_like_text()
    {
        var text = EnvironmentPrinter.Render(RealEnvironmentTests.Load("prod"), withOrigins: false);

        Assert.DoesNotContain("# environments/", text, StringComparison.Ordinal);
        Assert.Contains("""
            canary:
              steps:
                - weight: 10
                  duration: 30m
                - weight: 50
                  duration: 30m
            """.ReplaceLineEndings("\n"), text, StringComparison.Ordinal);
        Assert.Contains("trigger:\n  on: tag\n  pattern: v*\n", text, StringComparison.Ordinal);
    }
}
