using Slipway.Processes;

namespace Slipway.Tools.Terraform;

/// <summary>Reads what <see cref="TerraformCli"/> invocations printed, beyond the plan JSON. Pure.</summary>
public static class TerraformOutput
{
    /// <summary>
    /// True when <c>terraform apply PLAN</c> refused the plan because the state changed after it was made: Terraform
    /// prints "Error: Saved plan is stale" and exits 1. Only a new plan can fix it.
    /// </summary>
    public static bool IsStalePlan(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.ExitCode != 0 && result.StandardError.Contains("Saved plan is stale", StringComparison.Ordinal);
    }
}
