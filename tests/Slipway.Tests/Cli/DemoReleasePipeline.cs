using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Tests.Cli;

/// <summary>A release-shaped pipeline for snapshot tests of --help and --dry-run.</summary>
public sealed class DemoReleasePipeline : Pipeline
{
    private static readonly string[] ServiceNames = ["api", "worker"];
    private readonly Dictionary<string, Deferred> _digests = ServiceNames.ToDictionary(s => s, s => Produced.By("Publish", $"digest of {s}"));

    [Parameter("Registry to publish to")]
    public string Registry { get; init; } = "127.0.0.1:5000";

    [Parameter("Release version")]
    public string Version { get; init; } = "1.2.3";

    [Secret("Registry password")]
    public Secret? RegistryPassword { get; init; }

    [Parameter("Deploy after publishing")]
    public bool Deploy { get; init; }

    public override string Title => "Demo";

    public Target Build => _ => _
        .Describe("Build every service image")
        .ForEach(ServiceNames, (service, ctx) => ctx.RunAsync(ToolInvocation.Of("docker")
            .WithArguments("build", "--tag", $"{Registry}/{service}:{Version}", "--file", $"samples/{service}/Dockerfile", $"artifacts/publish/{service}")));

    public Target Publish => _ => _
        .Describe("Push images and record their digests")
        .DependsOn(Build)
        .Requires(() => RegistryPassword)
        .Produces("artifacts/release.json")
        .Executes(ctx => ctx.RunAsync(ToolInvocation.Of("docker").WithArguments("login", "--username", "ci", "--password", RegistryPassword!, Registry)))
        .ForEach(ServiceNames, async (service, ctx) =>
        {
            await ctx.RunAsync(ToolInvocation.Of("docker").WithArguments("push", $"{Registry}/{service}:{Version}"));
            if (!ctx.IsDryRun)
            {
                _digests[service].Set("sha256:0000");
            }
        })
        .Executes(ctx => ctx.DoAsync("write artifacts/release.json", () =>
        {
            Directory.CreateDirectory(ctx.PathOf("artifacts"));
            File.WriteAllText(ctx.PathOf("artifacts/release.json"), "{}");
        }));

    public Target Sign => _ => _
        .Describe("Sign every image by digest")
        .DependsOn(Publish)
        .ForEach(ServiceNames, (service, ctx) => ctx.RunAsync(ToolInvocation.Of("cosign")
            .WithArguments("sign", "--yes", new CompositeValue([$"{Registry}/{service}@", _digests[service]]))
            .WithEnvironment("COSIGN_PASSWORD", RegistryPassword!)));

    public Target DeployStaging => _ => _
        .Describe("Deploy to staging")
        .DependsOn(Sign)
        .OnlyWhen(() => Deploy, "--deploy was not given")
        .Executes(ctx => ctx.RunAsync(ToolInvocation.Of("docker-compose").WithArguments("--project-name", "staging", "up", "--detach")));
}
