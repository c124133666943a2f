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
}
