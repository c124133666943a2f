using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

/// <summary>Reading <c>docker container inspect ID…</c> (Docker 28), the way a Compose deploy sees its containers.</summary>
public sealed class DockerContainerTests
{
    // Trimmed to the fields read plus a few neighbours: a healthy api replica on two networks, a worker whose image has
    // no healthcheck, and the migration one-off that exited.
    private const string Inspect = """
        [
            {
                "Id": "3f2a9c1d7e4b5a6f8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d",
                "Created": "2026-03-08T09:00:01.123456789Z",
                "Path": "dotnet",
                "Args": ["Api.dll"],
                "State": {
                    "Status": "running",
                    "Running": true,
                    "Paused": false,
                    "Restarting": false,
                    "OOMKilled": false,
                    "Dead": false,
                    "Pid": 41213,
                    "ExitCode": 0,
                    "Error": "",
                    "StartedAt": "2026-03-08T09:00:02.001Z",
                    "FinishedAt": "0001-01-01T00:00:00Z",
                    "Health": {
                        "Status": "healthy",
                        "FailingStreak": 0,
                        "Log": [
                            { "Start": "2026-03-08T09:00:05Z", "End": "2026-03-08T09:00:05.2Z", "ExitCode": 1, "Output": "starting\n" },
                            { "Start": "2026-03-08T09:00:08Z", "End": "2026-03-08T09:00:08.1Z", "ExitCode": 0, "Output": "Healthy\n" }
                        ]
                    }
                },
                "Image": "sha256:4f1c9d3e7a2b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
                "Name": "/slipway-dev-api-3",
                "RestartCount": 0,
                "Config": {
                    "Hostname": "3f2a9c1d7e4b",
                    "Env": ["ASPNETCORE_URLS=http://+:8080"],
                    "Image": "127.0.0.1:5000/slipway/api@sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
                    "Labels": {
                        "com.docker.compose.project": "slipway-dev",
                        "com.docker.compose.service": "api",
                        "com.docker.compose.container-number": "3",
                        "io.slipway.environment": "dev",
                        "io.slipway.version": "1.4.0"
                    }
                },
                "NetworkSettings": {
                    "Bridge": "",
                    "Ports": {},
                    "IPAddress": "",
                    "Networks": {
                        "slipway-dev_stack": {
                            "IPAMConfig": null,
                            "Aliases": ["slipway-dev-api-3", "api", "3f2a9c1d7e4b"],
                            "NetworkID": "8d1e2f3a4b5c",
                            "Gateway": "172.21.0.1",
                            "IPAddress": "172.21.0.5",
                            "IPPrefixLen": 16,
                            "MacAddress": "02:42:ac:15:00:05"
                        },
                        "slipway-dev_metrics": {
                            "Gateway": "172.22.0.1",
                            "IPAddress": "172.22.0.7",
                            "IPPrefixLen": 16
                        }
                    }
                }
            },
            {
                "Id": "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d",
                "State": { "Status": "running", "Running": true, "ExitCode": 0, "StartedAt": "2026-03-08T09:00:02Z" },
                "Name": "/slipway-dev-worker-1",
                "Config": {
                    "Image": "127.0.0.1:5000/slipway/worker@sha256:11",
                    "Labels": { "com.docker.compose.project": "slipway-dev", "com.docker.compose.service": "worker" }
                },
                "NetworkSettings": { "Networks": { "slipway-dev_stack": { "Gateway": "172.21.0.1", "IPAddress": "172.21.0.8" } } }
            },
            {
                "Id": "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
                "State": { "Status": "exited", "Running": false, "ExitCode": 3, "Error": "", "FinishedAt": "2026-03-08T09:00:04Z" },
                "Name": "/slipway-dev_migrate_run_5d2c",
                "Config": { "Image": "127.0.0.1:5000/slipway/api@sha256:9b", "Labels": null },
                "NetworkSettings": { "Networks": { "slipway-dev_stack": { "Gateway": "", "IPAddress": "", "IPPrefixLen": 0 } } }
            }
        ]
        """;

    [Fact]
    public void A_healthy_replica_has_its_identity_image_labels_health_and_an_address_per_network()
    {
        var api = DockerContainer.ParseInspectArray(Inspect)[0];

        Assert.Equal("3f2a9c1d7e4b5a6f8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d", api.Id);
        Assert.Equal("3f2a9c1d7e4b", api.ShortId);
        Assert.Equal("slipway-dev-api-3", api.Name);
        Assert.Equal("127.0.0.1:5000/slipway/api@sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", api.Image);
        Assert.Equal("running", api.Status);
        Assert.Equal("healthy", api.Health);
        Assert.Equal("Healthy", api.LastHealthOutput);
        Assert.Equal("api", api.ComposeService);
        Assert.Equal("1.4.0", api.Labels["io.slipway.version"]);
        Assert.Equal(new Dictionary<string, string> { ["slipway-dev_stack"] = "172.21.0.5", ["slipway-dev_metrics"] = "172.22.0.7" }, api.Addresses);
        Assert.True(api.IsReady);
        Assert.False(api.HasFailed);
    }

    [Fact]
    public void A_container_without_a_healthcheck_is_ready_while_it_runs()
    {
        var worker = DockerContainer.ParseInspectArray(Inspect)[1];

        Assert.Null(worker.Health);
        Assert.Null(worker.LastHealthOutput);
        Assert.True(worker.IsReady);
        Assert.False(worker.HasFailed);
        Assert.Equal("worker", worker.ComposeService);
    }

    [Fact]
    public void An_exited_container_has_failed_keeps_its_exit_code_and_has_no_address()
    {
        var migrate = DockerContainer.ParseInspectArray(Inspect)[2];

        Assert.Equal("exited", migrate.Status);
        Assert.Equal(3, migrate.ExitCode);
        Assert.Empty(migrate.Labels);
        Assert.Null(migrate.ComposeService);
        Assert.Empty(migrate.Addresses);
        Assert.False(migrate.IsReady);
        Assert.True(migrate.HasFailed);
    }

    [Theory]
    [InlineData("running", "starting", false, false)]
    [InlineData("running", "unhealthy", false, true)]
    [InlineData("restarting", null, false, false)]
    [InlineData("created", null, false, false)]
    [InlineData("dead", null, false, true)]
    [InlineData("exited", "healthy", false, true)]
    public void Readiness_and_failure_follow_status_and_health(string status, string? health, bool ready, bool failed)
    {
        var container = new DockerContainer("id", "name", "image", status, health, 0, new Dictionary<string, string>(), new Dictionary<string, string>());

        Assert.Equal(ready, container.IsReady);
        Assert.Equal(failed, container.HasFailed);
    }

    [Fact]
    public void An_unhealthy_container_reports_its_last_probe_output()
    {
        const string unhealthy = """
            [{"Id":"ab","Name":"/p-api-2","State":{"Status":"running","ExitCode":0,"Health":{"Status":"unhealthy","FailingStreak":3,
              "Log":[{"ExitCode":1,"Output":"Unhealthy: postgres: connection refused\n"}]}},
              "Config":{"Image":"api","Labels":{}},"NetworkSettings":{"Networks":{}}}]
            """;

        var container = Assert.Single(DockerContainer.ParseInspectArray(unhealthy));

        Assert.Equal("unhealthy", container.Health);
        Assert.Equal("Unhealthy: postgres: connection refused", container.LastHealthOutput);
        Assert.True(container.HasFailed);
    }

    [Fact]
    public void No_container_is_an_empty_array_and_anything_else_is_a_format_error()
    {
        Assert.Empty(DockerContainer.ParseInspectArray("[]\n"));
        Assert.Throws<FormatException>(() => DockerContainer.ParseInspectArray("{\"Id\":\"ab\"}"));
        Assert.Throws<FormatException>(() => DockerContainer.ParseInspectArray("Error: No such container: ab"));
    }
}
