using Slipway.Delivery;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>artifacts/release.json: the round trip, its exact shape, and every validation error.</summary>
public sealed class ReleaseManifestTests
{
    private const string ApiDigest = "sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private const string WorkerDigest = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

    private static ReleaseManifest Sample() => new(
        "1.4.0",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        new DateTimeOffset(2025, 6, 1, 10, 30, 0, TimeSpan.Zero),
        "127.0.0.1:5000",
        [
            new ReleasedImage("worker", "127.0.0.1:5000/slipway/worker", "1.4.0", WorkerDigest),
            new ReleasedImage("api", "127.0.0.1:5000/slipway/api", "1.4.0", ApiDigest, "sbom/api.cdx.json"),
        ]);

    private static string NewPath() => Path.Combine(TestPaths.NewTempDirectory(), "artifacts", "release.json");

    [Fact]
    public void Write_then_read_gives_the_same_release_with_images_sorted_by_service()
    {
        var path = NewPath();

        Sample().Write(path);
        var read = ReleaseManifest.Read(path);

        Assert.Equal(("1.4.0", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "127.0.0.1:5000"), (read.Version, read.Commit, read.Registry));
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 10, 30, 0, TimeSpan.Zero), read.Created);
        Assert.Equal([Sample().Images[1], Sample().Images[0]], read.Images);
        Assert.Equal($"127.0.0.1:5000/slipway/api@{ApiDigest}", read.Images[0].Reference);
    }

    [Fact]
    public void The_file_is_indented_camel_case_json_in_a_stable_order()
    {
        var path = NewPath();

        Sample().Write(path);

        Assert.Equal(
            $$"""
            {
              "version": "1.4.0",
              "commit": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
              "created": "2025-06-01T10:30:00+00:00",
              "registry": "127.0.0.1:5000",
              "images": [
                {
                  "service": "api",
                  "repository": "127.0.0.1:5000/slipway/api",
                  "tag": "1.4.0",
                  "digest": "{{ApiDigest}}",
                  "sbom": "sbom/api.cdx.json"
                },
                {
                  "service": "worker",
                  "repository": "127.0.0.1:5000/slipway/worker",
                  "tag": "1.4.0",
                  "digest": "{{WorkerDigest}}",
                  "sbom": null
                }
              ]
            }

            """,
            File.ReadAllText(path));
        Assert.Equal(["release.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missing_file_says_to_run_publish()
    {
        var path = NewPath();

        var error = Assert.Throws<ReleaseManifestException>(() => ReleaseManifest.Read(path));

        Assert.Equal($"{path} does not exist. Run the Publish target to create it.", error.Message);
    }

    [Fact]
    public void Every_bad_field_is_named_at_once_with_the_file_and_what_to_do()
    {
        var path = NewPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """
            {
              "version": "",
              "commit": "9f86d08",
              "created": "2025-06-01T10:30:00Z",
              "registry": "127.0.0.1:5000",
              "images": [
                { "service": "api", "repository": "127.0.0.1:5000/slipway/api", "tag": "1.4.0", "digest": "sha256:ABC" },
                { "service": "worker", "repository": "127.0.0.1:5000/slipway/worker", "tag": "1.4.0", "digest": null }
              ]
            }
            """);

        var error = Assert.Throws<ReleaseManifestException>(() => ReleaseManifest.Read(path));

        Assert.Equal(["version", "images[0].digest", "images[1].digest"], error.Fields);
        Assert.Equal(path, error.Path);
        Assert.StartsWith($"{path} is not a valid release manifest: version is missing; images[0].digest 'sha256:ABC' is not 'sha256:' followed by 64 lowercase hex digits; images[1].digest is missing.", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Run the Publish target to create it.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"version":"1.0.0","commit":"abc","created":"2025-06-01T10:30:00Z","registry":"r","images":[]}""", "images")]
    [InlineData("""{"version":"1.0.0","commit":"abc","created":"2025-06-01T10:30:00Z","registry":"r"}""", "images")]
    [InlineData("""{"version":"1.0.0","commit":"abc","created":"2025-06-01T10:30:00Z","registry":"r","images":[{"service":"api","repository":"r/api","tag":"1","digest":"sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9","sbom":null,"signature":"x"}]}""", "images[0].signature")]
    [InlineData("""{"version":"1.0.0","commit":"abc","created":"not a date","registry":"r","images":[]}""", "created")]
    [InlineData("""{"version":"1.0.0",""", "(document)")]
    [InlineData("null", "(document)")]
    public void Structural_errors_name_the_field(string json, string field)
    {
        var path = NewPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);

        var error = Assert.Throws<ReleaseManifestException>(() => ReleaseManifest.Read(path));

        Assert.Contains(field, error.Fields);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Run the Publish target to create it.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_images_for_one_service_are_refused()
    {
        var manifest = Sample() with { Images = [Sample().Images[1], Sample().Images[1]] };

        var error = Assert.Throws<InvalidOperationException>(() => manifest.Write(NewPath()));

        Assert.Contains("images lists service 'api' 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_manifest_is_never_written()
    {
        var path = NewPath();
        var manifest = Sample() with { Images = [new ReleasedImage("api", "r/api", "1.4.0", "sha256:short")] };

        Assert.Throws<InvalidOperationException>(() => manifest.Write(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_migrations_the_images_carry_round_trip_as_expand_or_contract_and_are_absent_when_there_are_none()
    {
        var path = NewPath();
        var manifest = Sample() with { Migrations = [new("0001_create_orders", "expand"), new("0003_drop_legacy_status", "contract")] };

        manifest.Write(path);
        var read = ReleaseManifest.Read(path);
        var release = DeliveryRelease.From(read);

        Assert.Contains("\"kind\": \"contract\"", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(["0001_create_orders (expand)", "0003_drop_legacy_status (contract)"], release.Migrations!.Select(m => m.ToString()));
        Assert.True(release.MigrationsFromManifest);

        Sample().Write(path);
        Assert.DoesNotContain("migrations", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.False(DeliveryRelease.From(ReleaseManifest.Read(path)).MigrationsFromManifest);
    }

    [Fact]
    public void A_hostile_migration_entry_is_named_with_what_is_wrong()
    {
        var path = NewPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $$"""
            {
              "version": "1.4.0",
              "commit": "9f86d08",
              "created": "2025-06-01T10:30:00Z",
              "registry": "127.0.0.1:5000",
              "images": [{ "service": "api", "repository": "127.0.0.1:5000/slipway/api", "tag": "1.4.0", "digest": "{{ApiDigest}}" }],
              "migrations": [
                { "id": "../../etc/passwd", "kind": "expand" },
                { "id": "0002_ok", "kind": "Expand" },
                { "id": "0003_ok" },
                null,
                { "id": "0002_ok", "kind": "contract" }
              ]
            }
            """);

        var error = Assert.Throws<ReleaseManifestException>(() => ReleaseManifest.Read(path));

        Assert.Equal(["migrations[0].id", "migrations[1].kind", "migrations[2].kind", "migrations[3]", "migrations"], error.Fields);
        Assert.Contains("migrations[0].id \"../../etc/passwd\" is not a migration id", error.Message, StringComparison.Ordinal);
        Assert.Contains("migrations[1].kind \"Expand\" is neither: it is 'expand' or 'contract'", error.Message, StringComparison.Ordinal);
        Assert.Contains("migrations[2].kind is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("migrations lists '0002_ok' 2 times", error.Message, StringComparison.Ordinal);
    }
}
