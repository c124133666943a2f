using Slipway.Processes;

namespace Slipway.Tools.Terraform;

/// <summary>
/// Renders the <c>terraform</c> invocations of a saved-plan workflow: <c>init</c>, <c>plan -out</c>, <c>show -json</c>,
/// <c>apply PLAN</c>. Pure: nothing here runs a process. Every invocation runs in the stack directory, with
/// <c>TF_IN_AUTOMATION=1</c> (Terraform then leaves out the "run terraform apply next" hints meant for people at a
/// prompt) and <c>-input=false</c> wherever Terraform could otherwise wait for an answer that never comes in CI.
/// <c>-no-color</c> keeps ANSI escapes out of logs and out of the error text <see cref="TerraformOutput"/> reads.
/// </summary>
public static class TerraformCli
{
    /// <summary>The variable that tells Terraform it runs unattended.</summary>
    public const string AutomationVariable = "TF_IN_AUTOMATION";

    /// <summary><c>terraform version</c>.</summary>
    public static ToolInvocation Version() => ToolInvocation.Of("terraform").WithArguments("version");

    /// <summary>
    /// <c>terraform init -input=false -no-color -backend-config=KEY=VALUE… [-reconfigure]</c> in <paramref name="stack"/>.
    /// Backend settings are passed as given, sorted by key so the command line does not depend on dictionary order.
    /// </summary>
    /// <param name="stack">The stack directory.</param>
    /// <param name="backendConfig">Partial backend configuration, e.g. <c>bucket</c>, <c>key</c>, <c>region</c> for S3, <c>path</c> for local.</param>
    /// <param name="reconfigure">Ignore the backend saved in <c>.terraform/</c> instead of migrating state from it.</param>
    public static ToolInvocation Init(string stack, IReadOnlyDictionary<string, string> backendConfig, bool reconfigure = false)
    {
        ArgumentNullException.ThrowIfNull(backendConfig);
        var invocation = Terraform(stack, "init", "-input=false", "-no-color");
        foreach (var (key, value) in backendConfig.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(key, nameof(backendConfig));
            invocation = invocation.WithArguments($"-backend-config={key}={value}");
        }

        return invocation.WithFlag("-reconfigure", reconfigure);
    }

    /// <summary><c>terraform plan -input=false -no-color -out=PLAN [-var-file=FILE…]</c> in <paramref name="stack"/>.</summary>
    /// <param name="stack">The stack directory.</param>
    /// <param name="planFile">Where to save the plan; best absolute, since Terraform resolves it against the stack.</param>
    /// <param name="varFiles">Variable files, relative to the stack or absolute, in the order Terraform should read them.</param>
    public static ToolInvocation Plan(string stack, string planFile, IEnumerable<string> varFiles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planFile);
        ArgumentNullException.ThrowIfNull(varFiles);
        return Terraform(stack, "plan", "-input=false", "-no-color", $"-out={planFile}")
            .WithArguments(varFiles.Select(f => InvocationValue.FromString($"-var-file={f}")));
    }

    /// <summary><c>terraform show -json PLAN</c> in <paramref name="stack"/>: the plan as JSON; read it with <see cref="PlanSummary.Parse"/>.</summary>
    public static ToolInvocation ShowJson(string stack, string planFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planFile);
        return Terraform(stack, "show", "-json", planFile);
    }

    /// <summary>
    /// <c>terraform apply -input=false -no-color PLAN</c> in <paramref name="stack"/>. With a saved plan Terraform asks
    /// no question and applies exactly that plan, or fails with "Saved plan is stale" when the state moved since
    /// (see <see cref="TerraformOutput.IsStalePlan"/>).
    /// </summary>
    public static ToolInvocation Apply(string stack, string planFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planFile);
        return Terraform(stack, "apply", "-input=false", "-no-color", planFile);
    }

    private static ToolInvocation Terraform(string stack, params string[] arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stack);
        return ToolInvocation.Of("terraform")
            .WithArguments(arguments.Select(InvocationValue.FromString))
            .WithEnvironment(AutomationVariable, "1")
            .WithWorkingDirectory(stack);
    }
}
