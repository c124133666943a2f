using Xunit.Abstractions;

namespace Slipway.IntegrationTests.Support;

/// <summary>Removes a deploy story's Compose project (containers, networks, volumes), whatever state the story left it in.</summary>
public static class StackTeardown
{
    /// <summary><c>docker compose -p PROJECT -f compose/stack.yml --profile migrate down --volumes --remove-orphans</c>; a failure is logged, not thrown.</summary>
    public static void Down(DockerWorkspace workspace, string project, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(output);
        var compose = Path.Combine(workspace.Root, "compose", "stack.yml");
        try
        {
            HostProcess.Run("docker", ["compose", "--project-name", project, "--file", compose, "--profile", "migrate", "down", "--volumes", "--remove-orphans", "--timeout", "5"], null,
                ("DOCKER_HOST", workspace.DockerHost), ("API_IMAGE", "unused"), ("WORKER_IMAGE", "unused"), ("POSTGRES_PASSWORD", "unused"), ("PROXY_CONFIG", "/dev/null"));
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine("teardown: " + e.Message);
        }
    }

    /// <summary>Removes what a story left of <paramref name="environment"/> in the workspace (ledger, certificates, backups), so the next story starts from none.</summary>
    public static void RemoveState(DockerWorkspace workspace, string environment)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        foreach (var directory in new[] { Path.Combine(workspace.Root, ".slipway", "state", environment), Path.Combine(workspace.Root, ".slipway", "backups", environment) })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
