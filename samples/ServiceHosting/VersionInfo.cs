using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Slipway.Samples.ServiceHosting;

/// <summary>What a service reports as its build (the API at <c>/version</c>, the worker in <c>processed_by</c>). The pipeline's probes compare it with the release they
/// deployed, so it must reflect the image, not the source tree.</summary>
public sealed record VersionInfo(string Version, string Commit)
{
    /// <summary><c>APP_VERSION</c>/<c>APP_COMMIT</c> win (the pipeline sets them from the release);
    /// otherwise the informational version, which the SDK stamps as <c>version+commit</c>.</summary>
    public static VersionInfo Resolve(IConfiguration configuration, string? informationalVersion)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (stampedVersion, stampedCommit) = SplitInformationalVersion(informationalVersion);
        var version = NonEmpty(configuration["APP_VERSION"]) ?? stampedVersion ?? "0.0.0";
        var commit = NonEmpty(configuration["APP_COMMIT"]) ?? stampedCommit ?? "unknown";
        return new VersionInfo(version, commit);
    }

    public static string? InformationalVersionOf(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
    }

    internal static (string? Version, string? Commit) SplitInformationalVersion(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, null);
        }

        var plus = value.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (value, null) : (value[..plus], NonEmpty(value[(plus + 1)..]));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
