using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Environments;
using Slipway.Tests.Support;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// What was convention in code is matrix keys: the sample's stack from its defaults, and another application's (other
/// names, ports, paths, Postgres only) from its keys alone, down to the generated HAProxy configuration.
/// </summary>
public sealed class ConventionTests
{
    /// <summary>A different application: a web frontend routed on 8081 with /healthz, billing, Postgres only, its own names.</summary>
    private const string OtherApplication = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          compose:
            project: shop-dev
            files: [deploy/compose.yml]
            image_variable: "SHOP_{SERVICE}_REF"
            proxy:
              service: edge
              backend: shop
              servers: web
              canary_servers: next
              slots: 6
              canary_slots: 2
              listen_port: 9090
              stats_listen_port: 9404
        registry:
          address: 127.0.0.1:5000
        services:
          web:
            image: shop-web
            dockerfile: src/Web/Dockerfile
            ports: [{ name: http, port: 8081 }]
            health: { readiness: /healthz }
          billing-api:
            image: shop-billing
            dockerfile: src/Billing/Dockerfile
        ingress:
          host: localhost
          http_port: 8280
          backend: web
        data:
          postgres:
            database: shop
            user: shopper
            service: db
            image: postgres:15
          migrations:
            service: schema
            command: [dotnet, Shop.Web.dll, migrate]
        state_directory: .slipway/state/dev
        """;

    [Fact]
    public void The_samples_proxy_configuration_comes_from_its_matrix_and_keeps_what_the_driver_relies_on()
    {
        var sample = RealEnvironment("dev");

        var config = HaproxyConfiguration.Render(sample);

        Assert.Contains("stats socket /var/run/haproxy/admin.sock mode 660 level admin expose-fd listeners", config, StringComparison.Ordinal);
        Assert.Contains("log stdout format raw local0 info", config, StringComparison.Ordinal);
        Assert.Contains("option httplog", config, StringComparison.Ordinal);
        Assert.Contains("frontend web\n    bind *:8080\n", config, StringComparison.Ordinal);
        Assert.Contains("    default_backend app\n", config, StringComparison.Ordinal);
        Assert.Contains("frontend stats\n    bind *:8404\n", config, StringComparison.Ordinal);
        Assert.Contains("    option httpchk GET /health/ready\n", config, StringComparison.Ordinal);
        Assert.Contains("    server-template api 1-8 api:8080\n", config, StringComparison.Ordinal);
        Assert.Contains("    server-template canary 1-4 api-canary:8080 weight 0\n", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_applications_proxy_follows_its_keys_its_routed_port_and_its_health_path()
    {
        using var scratch = new ScratchEnvironments(("dev", OtherApplication));

        var config = HaproxyConfiguration.Render(scratch.LoadValid("dev"));

        Assert.Contains("frontend web\n    bind *:9090\n", config, StringComparison.Ordinal);
        Assert.Contains("    default_backend shop\n", config, StringComparison.Ordinal);
        Assert.Contains("frontend stats\n    bind *:9404\n", config, StringComparison.Ordinal);
        Assert.Contains("backend shop\n", config, StringComparison.Ordinal);
        Assert.Contains("    option httpchk GET /healthz\n", config, StringComparison.Ordinal);
        Assert.Contains("    server-template web 1-6 web:8081\n", config, StringComparison.Ordinal);
        Assert.Contains("    server-template next 1-2 web-canary:8081 weight 0\n", config, StringComparison.Ordinal);
        Assert.DoesNotContain("api", config, StringComparison.Ordinal);
        Assert.DoesNotContain("/health/ready", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_compose_driver_tells_the_stack_only_what_the_matrix_says()
    {
        using var scratch = new ScratchEnvironments(("dev", OtherApplication));
        var session = new ScriptedToolSession { IsDryRun = true };
        var environment = scratch.Delivery("dev");

        var deployment = await new ComposeDeployDriver(environment, session, session, TimeProvider.System).DeploymentAsync();

        Assert.Equal(["db"], deployment.DataServices);
        Assert.Equal("db", deployment.DatabaseService);
        Assert.Equal(("edge", "shop", "next", "schema"), (deployment.ProxyService, deployment.ProxyBackend, deployment.CanaryServerPrefix, deployment.MigrationService));
        Assert.Equal([("web", "SHOP_WEB_REF", true), ("billing-api", "SHOP_BILLING_API_REF", false)], deployment.Services.Select(s => (s.Name, s.ImageVariable, s.Routed)));
        var variables = deployment.Project.Variables.ToDictionary(v => v.Key, v => v.Value.Reveal());
        Assert.Equal("shop", variables["POSTGRES_DB"]);
        Assert.Equal("shopper", variables["POSTGRES_USER"]);
        Assert.Equal("8280", variables["PROXY_PORT"]);
        Assert.Equal(HaproxyConfiguration.PathIn(environment.StateDirectory), variables["PROXY_CONFIG"]);
        Assert.False(variables.ContainsKey("REDIS_IMAGE"));
        Assert.Contains(session.Events, e => e.Text == "write .slipway/state/dev/proxy/haproxy.cfg");
        // The stack's file, then the proxy's overlay Slipway writes (its label makes Compose recreate a reconfigured proxy).
        Assert.Equal([Path.Combine(scratch.Root, "deploy", "compose.yml"), ProxyOverlay.PathIn(environment.StateDirectory)], deployment.Project.Files.ToArray());
    }

    [Fact]
    public async Task With_tls_the_stack_publishes_plain_http_on_http_port_and_the_overlay_https_on_https_port()
    {
        using var scratch = new ScratchEnvironments(("dev", OtherApplication));
        var session = new ScriptedToolSession { IsDryRun = true };
        var dev = scratch.LoadValid("dev");
        var environment = new DeliveryEnvironment
        {
            Environment = dev with { Security = dev.Security with { TlsMode = TlsMode.SelfSigned }, Ingress = dev.Ingress! with { HttpsPort = 8643 } },
            Secrets = SecretResolver.Create(new Dictionary<string, string>(), scratch.Root),
            RootDirectory = scratch.Root,
            EnvironmentFile = "environments/dev.yml",
            LocalEngine = DockerEndpoint.ForHost("unix:///var/run/docker.sock"),
        };

        var driver = new ComposeDeployDriver(environment, session, session, TimeProvider.System);
        var deployment = await driver.DeploymentAsync();

        // The deploy's URL is the HTTPS one; the stack's own port variable stays the plain-HTTP port (the redirect's),
        // so the two published ports never collide.
        Assert.Equal(new Uri("https://127.0.0.1:8643"), driver.Url);
        Assert.Equal("8280", deployment.Project.Variables.ToDictionary(v => v.Key, v => v.Value.Reveal())["PROXY_PORT"]);
    }

    [Fact]
    public void Helm_runs_the_matrix_migration_command()
    {
        using var scratch = new ScratchEnvironments(("dev", OtherApplication));
        var release = new ReleaseManifest("1.0.0", new string('a', 40), DateTimeOffset.UnixEpoch, "127.0.0.1:5000",
            [new ReleasedImage("web", "127.0.0.1:5000/shop-web", "1.0.0", "sha256:" + new string('1', 64), null), new ReleasedImage("billing-api", "127.0.0.1:5000/shop-billing", "1.0.0", "sha256:" + new string('2', 64), null)]);

        var values = Slipway.Delivery.Helm.HelmValues.Create(scratch.LoadValid("dev"), release);

        Assert.Equal(["dotnet", "Shop.Web.dll", "migrate"], values.MigrationCommand);
        Assert.Equal("web", values.Migrations.Service);
    }

    [Fact]
    public void Helm_runs_the_migrations_in_the_image_the_matrix_names_when_the_routed_service_does_not_own_the_database()
    {
        using var scratch = new ScratchEnvironments(("dev", OtherApplication.Replace("    command: [dotnet, Shop.Web.dll, migrate]", "    command: [migrate]\n    image_of: billing-api", StringComparison.Ordinal)));
        var release = new ReleaseManifest("1.0.0", new string('a', 40), DateTimeOffset.UnixEpoch, "127.0.0.1:5000",
            [new ReleasedImage("web", "127.0.0.1:5000/shop-web", "1.0.0", "sha256:" + new string('1', 64), null), new ReleasedImage("billing-api", "127.0.0.1:5000/shop-billing", "1.0.0", "sha256:" + new string('2', 64), null)]);

        var values = Slipway.Delivery.Helm.HelmValues.Create(scratch.LoadValid("dev"), release);

        Assert.Equal("billing-api", values.Migrations.Service);
        Assert.Equal(["migrate"], values.MigrationCommand);
    }

    private static DeployEnvironment RealEnvironment(string name)
    {
        var result = new EnvironmentLoader(TestPaths.RepositoryRoot).Load("environments", name, new Dictionary<string, string>());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Environment!;
    }
}
