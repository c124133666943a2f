using System.Globalization;
using System.Text;
using Slipway.Environments;
using Slipway.Processes;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Slipway.Delivery.Compose;

/// <summary>
/// The per-environment Compose override a deploy layers over <c>compose/stack.yml</c>: each service's environment
/// variables and feature flags, its CPU and memory limits, and labels naming the release. Secret values never reach
/// the file: it names a variable (<c>${SLIPWAY_SECRET_API_1}</c>) that only the <c>docker-compose</c> process sees.
/// </summary>
/// <param name="Yaml">The file's text.</param>
/// <param name="SecretVariables">The variables the file references, with their values, for <see cref="Tools.Compose.ComposeProject.WithVariable"/>.</param>
public sealed record ComposeOverride(string Yaml, IReadOnlyDictionary<string, Secret> SecretVariables)
{
    /// <summary>The label carrying the environment's name.</summary>
    public const string EnvironmentLabel = "io.slipway.environment";

    /// <summary>The label carrying the release version a container was started for.</summary>
    public const string VersionLabel = "io.slipway.version";

    /// <summary>Feature flags become <c>FeatureFlags__NAME</c> variables, which .NET configuration reads as the <c>FeatureFlags</c> section.</summary>
    public const string FeatureFlagPrefix = "FeatureFlags__";

    /// <summary>
    /// Renders the override of <paramref name="environment"/> for <paramref name="version"/>; secrets are resolved
    /// through <paramref name="secrets"/> now, so a missing one fails before anything changes.
    /// </summary>
    public static ComposeOverride Render(DeployEnvironment environment, string version, SecretResolver secrets)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Render(environment, version, secrets, environment.Services.Keys.ToDictionary(s => s, _ => (string?)null, StringComparer.Ordinal), "Do not edit: every deploy\n# writes its own, and a rollback reuses the one of the release it returns to.");
    }

    /// <summary>
    /// Renders the override that runs <paramref name="version"/> as a canary: for each service of
    /// <paramref name="canaryImages"/> a service named <c>SERVICE-canary</c> (<see cref="CanarySuffix"/>, defined in the
    /// stack file) with that service's environment and limits, the canary's image, and <c>io.slipway.track: canary</c>.
    /// It is layered over the stable release's override, which it leaves as it is.
    /// </summary>
    public static ComposeOverride RenderCanary(DeployEnvironment environment, string version, SecretResolver secrets, IReadOnlyDictionary<string, string> canaryImages)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(canaryImages);
        var unknown = canaryImages.Keys.Where(s => !environment.Services.ContainsKey(s)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"No such service in {environment.Name}: {string.Join(", ", unknown)}.", nameof(canaryImages));
        }

        return Render(environment, version, secrets, canaryImages.ToDictionary(i => i.Key, i => (string?)i.Value, StringComparer.Ordinal), "Do not edit: every canary\n# writes its own over the stable release's override.");
    }

    /// <summary>Appended to a service's name for its canary: <c>api-canary</c>.</summary>
    public const string CanarySuffix = "-canary";

    /// <summary>The label telling a canary's containers from the stable ones.</summary>
    public const string TrackLabel = "io.slipway.track";

    /// <summary>Renders <paramref name="only"/>'s services; a service with an image is rendered as its canary.</summary>
    private static ComposeOverride Render(DeployEnvironment environment, string version, SecretResolver secrets, Dictionary<string, string?> only, string notice)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(secrets);

        var secretVariables = new SortedDictionary<string, Secret>(StringComparer.Ordinal);
        var services = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, service) in environment.Services.Where(s => only.ContainsKey(s.Key)).OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in SecurityVariables(environment.Security))
            {
                variables[key] = value.Replace("$", "$$", StringComparison.Ordinal);
            }

            // A service's own env wins over what Slipway hands it.
            foreach (var (key, value) in service.Env)
            {
                // Compose interpolates "$" in values: "$$" is a literal dollar.
                variables[key] = value.Replace("$", "$$", StringComparison.Ordinal);
            }

            foreach (var (flag, on) in service.FeatureFlags)
            {
                variables[FeatureFlagPrefix + flag] = on ? "true" : "false";
            }

            foreach (var (key, reference) in service.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var variable = $"SLIPWAY_SECRET_{Sanitize(name)}_{Sanitize(key)}";
                secretVariables[variable] = reference.Resolve(secrets);
                variables[key] = "${" + variable + "}";
            }

            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [EnvironmentLabel] = environment.Name,
                [VersionLabel] = version,
            };
            var definition = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["labels"] = labels };
            var canaryImage = only[name];
            if (canaryImage is not null)
            {
                labels[TrackLabel] = "canary";
                definition["image"] = canaryImage.Replace("$", "$$", StringComparison.Ordinal);
            }

            if (variables.Count > 0)
            {
                definition["environment"] = variables;
            }

            if (service.Resources.Limits?.Cpu is { } cpu)
            {
                definition["cpus"] = cpu.Cores.ToString(CultureInfo.InvariantCulture);
            }

            if (service.Resources.Limits?.Memory is { } limit)
            {
                definition["mem_limit"] = limit.Bytes.ToString(CultureInfo.InvariantCulture);
            }

            if (service.Resources.Requests?.Memory is { } request)
            {
                definition["mem_reservation"] = request.Bytes.ToString(CultureInfo.InvariantCulture);
            }

            services[canaryImage is null ? name : name + CanarySuffix] = definition;
        }

        // Every scalar double-quoted: docker-compose 1.29 reads YAML 1.1, where a bare yes, 12:30 or 2001-12-14 is not
        // a string, and Compose v2 reads YAML 1.2, where a bare 1e3 is a float.
        var serializer = new SerializerBuilder().WithDefaultScalarStyle(ScalarStyle.DoubleQuoted).Build();
        var yaml = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Generated by Slipway for environment {environment.Name}, release {version}. {notice} Secrets are ${{variables}}")
            .AppendLine("# that only the Compose process sees.")
            .Append(serializer.Serialize(new Dictionary<string, object> { ["services"] = services }))
            .ToString();
        return new ComposeOverride(yaml, secretVariables);
    }

    /// <summary>The variable with <c>security.cors_origins</c>, comma-separated, in every service's environment.</summary>
    public const string CorsOriginsVariable = "SLIPWAY_CORS_ORIGINS";

    /// <summary>The variable with <c>security.rate_limit.requests_per_second</c>, in every service's environment.</summary>
    public const string RateLimitVariable = "SLIPWAY_RATE_LIMIT_REQUESTS_PER_SECOND";

    /// <summary>The variable with <c>security.rate_limit.burst</c>, in every service's environment.</summary>
    public const string RateLimitBurstVariable = "SLIPWAY_RATE_LIMIT_BURST";

    /// <summary>What every service is told of <c>security</c>: the CORS origins and the rate limit the proxy enforces.</summary>
    public static IReadOnlyDictionary<string, string> SecurityVariables(SecuritySettings security)
    {
        ArgumentNullException.ThrowIfNull(security);
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (security.CorsOrigins.Count > 0)
        {
            variables[CorsOriginsVariable] = string.Join(',', security.CorsOrigins);
        }

        if (security.RateLimit is { } limit)
        {
            variables[RateLimitVariable] = limit.RequestsPerSecond.ToString(CultureInfo.InvariantCulture);
            variables[RateLimitBurstVariable] = limit.Burst.ToString(CultureInfo.InvariantCulture);
        }

        return variables;
    }

    private static string Sanitize(string name) =>
        new([.. name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}
