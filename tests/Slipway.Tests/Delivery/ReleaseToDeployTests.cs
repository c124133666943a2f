using Slipway.Delivery;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The migrations a deploy takes for its release: release.json's (what Publish built the images with) over the
/// checkout's, the checkout's when release.json has none, and none at all in an environment that runs no migrations.
/// </summary>
public sealed class ReleaseToDeployTests
{
    private const string Matrix = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          compose:
            project: shop-dev
            files: [deploy/compose.yml]
        registry:
          address: 127.0.0.1:5000
        services:
          api:
            image: shop-api
            dockerfile: src/Api/Dockerfile
        data:
          migrations:
            enabled: ENABLED
            directory: db/migrations
        state_directory: .slipway/state/dev
        """;

    private static readonly ReleaseManifest Manifest = new(
        "1.1.0",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero),
        "127.0.0.1:5000",
        [new ReleasedImage("api", "127.0.0.1:5000/shop/api", "1.1.0", "sha256:" + new string('a', 64))]);

    private static DeliveryRelease ReleaseToDeploy(ReleaseManifest manifest, bool migrationsEnabled = true)
    {
        using var scratch = new ScratchEnvironments(("dev", Matrix.Replace("ENABLED", migrationsEnabled ? "true" : "false", StringComparison.Ordinal)));
        var scripts = Path.Combine(scratch.Root, "db", "migrations");
        Directory.CreateDirectory(scripts);

        // The checkout has moved on since Publish: it has a script the images were not built with.
        File.WriteAllText(Path.Combine(scripts, "0001_create_orders.sql"), "-- slipway: expand\nCREATE TABLE orders (id int);\n");
        File.WriteAllText(Path.Combine(scripts, "0002_drop_orders.sql"), "-- slipway: contract\nDROP TABLE orders;\n");
        manifest.Write(Path.Combine(scratch.Root, ReleaseManifest.DefaultPath));
        var environment = scratch.Delivery("dev");
        return environment.ReleaseToDeploy(dryRun: false);
    }

    [Fact]
    public void The_migrations_release_json_records_win_over_the_checkouts()
    {
        var release = ReleaseToDeploy(Manifest with { Migrations = [new("0001_create_orders", "expand")] });

        Assert.True(release.MigrationsFromManifest);
        Assert.Equal(["0001_create_orders (expand)"], release.Migrations!.Select(m => m.ToString()));
    }

    [Fact]
    public void Without_them_the_checkouts_are_read_and_said_to_be_the_checkouts()
    {
        var release = ReleaseToDeploy(Manifest);

        Assert.False(release.MigrationsFromManifest);
        Assert.Equal(["0001_create_orders (expand)", "0002_drop_orders (contract)"], release.Migrations!.Select(m => m.ToString()));
    }

    [Fact]
    public void An_environment_that_runs_no_migrations_takes_none_whatever_the_images_carry()
    {
        var release = ReleaseToDeploy(Manifest with { Migrations = [new("0001_create_orders", "expand")] }, migrationsEnabled: false);

        Assert.False(release.MigrationsFromManifest);
        Assert.Null(release.Migrations);
    }
}
