using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Slipway.Environments;

namespace Slipway.GitHub.Workflows;

/// <summary>What the workflow generator needs to know about one environment file.</summary>
/// <param name="Name">The environment's name.</param>
/// <param name="Trigger">Which builds deploy to it.</param>
/// <param name="Services">Its services, in name order (the per-service matrix).</param>
public sealed partial record WorkflowEnvironment(string Name, EnvironmentTrigger Trigger, IReadOnlyList<string> Services)
{
    /// <summary>Whether signing is keyless (GitHub OIDC).</summary>
    public bool KeylessSigning { get; init; }

    /// <summary>Whether images are pushed to GitHub's container registry.</summary>
    public bool PushesToGhcr { get; init; }

    /// <summary>Whether it deploys with Helm, so its deploy jobs need a kubeconfig.</summary>
    public bool UsesKubernetes { get; init; }

    /// <summary>Names of its <c>env:</c> secret references: CI passes them from repository or environment secrets.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>The subset of <see cref="Secrets"/> the registry needs: all that jobs that only push or sign get.</summary>
    public IReadOnlyList<string> RegistrySecrets { get; init; } = [];

    /// <summary>Names of the <c>${VAR}</c> variables its files interpolate: CI passes them from configuration variables.</summary>
    public IReadOnlyList<string> Variables { get; init; } = [];

    /// <summary>
    /// Reads <paramref name="environment"/>: its <c>env:</c> secrets (every <see cref="SecretReference"/> in the
    /// model) and the <c>${VAR}</c> names in its layer files (paths relative to <paramref name="rootDirectory"/>).
    /// </summary>
    public static WorkflowEnvironment From(DeployEnvironment environment, string rootDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var secrets = new SortedSet<string>(StringComparer.Ordinal);
        CollectSecrets(environment, secrets, new HashSet<object>(ReferenceEqualityComparer.Instance));
        var registrySecrets = new SortedSet<string>(StringComparer.Ordinal);
        CollectSecrets(environment.Registry, registrySecrets, new HashSet<object>(ReferenceEqualityComparer.Instance));
        var variables = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in environment.Layers)
        {
            var path = Path.Combine(rootDirectory, layer);
            if (File.Exists(path))
            {
                foreach (Match match in VariablePattern().Matches(File.ReadAllText(path)))
                {
                    variables.Add(match.Groups[1].Value);
                }
            }
        }

        variables.Remove(EnvironmentLoader.EnvironmentNameVariable);
        var signing = environment.SupplyChain.Signing;
        return new WorkflowEnvironment(environment.Name, environment.Trigger, [.. environment.Services.Keys.Order(StringComparer.Ordinal)])
        {
            KeylessSigning = signing?.Mode == SigningMode.Keyless,
            PushesToGhcr = environment.Registry.Address.StartsWith("ghcr.io", StringComparison.OrdinalIgnoreCase),
            UsesKubernetes = environment.Delivery.Driver == DeliveryDriver.Helm,
            Secrets = [.. secrets],
            RegistrySecrets = [.. registrySecrets],
            Variables = [.. variables],
        };
    }

    private static void CollectSecrets(object? value, SortedSet<string> names, HashSet<object> seen)
    {
        switch (value)
        {
            case null or string or EnvironmentOrigins:
                return;
            case SecretReference { Scheme: "env" } reference:
                names.Add(reference.Path);
                return;
            case SecretReference:
                return;
            case IDictionary dictionary:
                foreach (var item in dictionary.Values)
                {
                    CollectSecrets(item, names, seen);
                }

                return;
            case IEnumerable items:
                foreach (var item in items)
                {
                    CollectSecrets(item, names, seen);
                }

                return;
        }

        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || !type.Namespace!.StartsWith("Slipway", StringComparison.Ordinal) || !seen.Add(value))
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                CollectSecrets(property.GetValue(value), names, seen);
            }
        }
    }

    // ${NAME} or ${NAME:-default}, but not the $${ escape.
    [GeneratedRegex(@"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")]
    private static partial Regex VariablePattern();
}
