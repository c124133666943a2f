using System.Globalization;
using Slipway.Processes;

namespace Slipway.Tools.Kubectl;

/// <summary>
/// Renders <c>kubectl</c> invocations. Pure: nothing here runs a process. Every command names its namespace and, when
/// given, its kubeconfig context, so nothing depends on the caller's current context by accident.
/// </summary>
public static class KubectlCli
{
    /// <summary>The executable.</summary>
    public const string Tool = "kubectl";

    /// <summary>
    /// <c>kubectl rollout status deployment/NAME -n N [--context C] --timeout D</c>: exits 0 once every replica of the
    /// newest ReplicaSet is updated and available; on timeout exits 1 with <c>error: timed out waiting for the condition</c>.
    /// </summary>
    public static ToolInvocation RolloutStatus(KubeScope scope, string deployment, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("rollout", "status", $"deployment/{deployment}"), scope)
            .WithOption("--timeout", Seconds(timeout));
    }

    /// <summary><c>kubectl get KIND [NAME] -n N [--context C] [-l SELECTOR] -o OUTPUT</c> (default JSON).</summary>
    public static ToolInvocation Get(KubeScope scope, string kind, string? name = null, string? selector = null, string output = "json")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        var invocation = ToolInvocation.Of(Tool).WithArguments("get", kind);
        if (name is not null)
        {
            invocation = invocation.WithArguments(name);
        }

        return Scoped(invocation, scope).WithOption("-l", selector).WithOption("-o", output);
    }

    /// <summary>
    /// <c>kubectl patch KIND NAME -n N [--context C] --type=json -p PATCH</c>: a JSON patch (RFC 6902), e.g. to move an
    /// HTTPRoute's backend weights during a canary.
    /// </summary>
    public static ToolInvocation PatchJson(KubeScope scope, string kind, string name, string jsonPatch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonPatch);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("patch", kind, name), scope)
            .WithArguments("--type=json")
            .WithOption("-p", jsonPatch);
    }

    /// <summary>
    /// <c>kubectl apply -n N [--context C] -f -</c> with <paramref name="manifest"/> on standard input: the way a Secret
    /// reaches the cluster without its values ever being on a command line or in a file. Pass a manifest whose secret
    /// parts are <see cref="Secret"/>s (see <see cref="KubernetesSecretManifest"/>), so printing the invocation masks them.
    /// </summary>
    public static ToolInvocation ApplyFromStandardInput(KubeScope scope, InvocationValue manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("apply"), scope)
            .WithArguments("-f", "-")
            .WithStandardInput(manifest);
    }

    /// <summary>
    /// <c>kubectl create -n N [--context C] -f - -o json</c>: creates the object on standard input, or fails with
    /// <c>Error from server (AlreadyExists)</c> (exit 1) when its name is taken; prints the object as stored (with its
    /// <c>metadata.resourceVersion</c>).
    /// </summary>
    public static ToolInvocation CreateFromStandardInput(KubeScope scope, InvocationValue manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("create"), scope).WithArguments("-f", "-", "-o", "json").WithStandardInput(manifest);
    }

    /// <summary>
    /// <c>kubectl replace -n N [--context C] -f - -o json</c>: replaces the object on standard input. When it carries a
    /// <c>metadata.resourceVersion</c> that is no longer the stored one, the API server refuses with
    /// <c>Error from server (Conflict)</c> (exit 1): someone wrote it since it was read (optimistic concurrency).
    /// </summary>
    public static ToolInvocation ReplaceFromStandardInput(KubeScope scope, InvocationValue manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("replace"), scope).WithArguments("-f", "-", "-o", "json").WithStandardInput(manifest);
    }

    /// <summary><c>kubectl delete KIND NAME -n N [--context C] --ignore-not-found</c>.</summary>
    public static ToolInvocation Delete(KubeScope scope, string kind, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Scoped(ToolInvocation.Of(Tool).WithArguments("delete", kind, name), scope).WithArguments("--ignore-not-found");
    }

    private static ToolInvocation Scoped(ToolInvocation invocation, KubeScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope.Namespace);
        return invocation.WithOption("-n", scope.Namespace).WithOption("--context", scope.Context);
    }

    private static string Seconds(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return ((long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
    }
}

/// <summary>Where kubectl works: a namespace and a kubeconfig context (null: the current one).</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Context">The kubeconfig context; null for the current one.</param>
public sealed record KubeScope(string Namespace, string? Context);
