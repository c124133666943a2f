using Slipway.Environments;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Slipway.Delivery.Compose;

/// <summary>
/// A deploy touches only the services that changed. An app service whose image and rendered configuration are those of
/// the last successful deploy, and whose containers are still the very ones that deploy left serving (same ids, as many
/// as its replicas, every one ready), keeps them: no new container, no drain. Anything this deployer cannot vouch for
/// rolls out as before: no record of the last deploy (first deploy, a failed or interrupted one, a rollback after a
/// failure), no override file to read the configuration from, a stack change (Compose files, generated configuration,
/// variables or secrets, see <see cref="StackFingerprint"/>), or containers changed by hand.
/// </summary>
public sealed partial class ComposeDeployer
{
    private Serving _serving = Serving.None;

    private const long MaxOverrideBytes = 1 << 20;

    private string ServingRecordPath => Path.Combine(_deployment.StateDirectory, "serving.json");

    /// <summary>The services the last apply left as they were, in rollout order.</summary>
    private IReadOnlyList<string> Unchanged => [.. _deployment.Services.Select(s => s.Name).Where(_serving.Kept.Contains)];

    private string UnchangedNote => Unchanged.Count == 0 ? string.Empty : $" Unchanged, not recreated: {string.Join(", ", Unchanged)}.";

    /// <summary>
    /// Before an apply changes anything: reads what served after the last successful deploy and forgets it (until this
    /// apply succeeds, nothing is known to serve as deployed), and fingerprints each service of <paramref name="release"/>.
    /// </summary>
    private void BeginServing(ComposeRelease release)
    {
        if (_session.IsDryRun)
        {
            _serving = Serving.None;
            return;
        }

        var before = StepRecord.Read<ServingRecord>(ServingRecordPath, ServingRecordPath, _session.Warning)?.Services ?? new Dictionary<string, ServedService>();
        StepRecord.Forget(ServingRecordPath);
        var stack = StackFingerprint();
        var overrideFile = _deployment.OverrideFileOf(release.Version, release.Revision?.Id);
        var fingerprints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in _deployment.Services)
        {
            if (release.Images.GetValueOrDefault(service.Name) is { } image && ConfigurationOf(overrideFile, service.Name) is { } configuration)
            {
                fingerprints[service.Name] = ContentHash.Hex($"{stack}\n{image.Length}:{image}\n{configuration}");
            }
        }

        _serving = new(before, fingerprints, new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>True when <paramref name="service"/> runs as the last deploy left it, with this release's image and configuration.</summary>
    private async Task<bool> UnchangedAsync(ComposeProject project, ComposeAppService service)
    {
        if (!_serving.Fingerprints.TryGetValue(service.Name, out var fingerprint)
            || !_serving.Before.TryGetValue(service.Name, out var before)
            || before.Fingerprint != fingerprint)
        {
            return false;
        }

        var running = await ContainersAsync(project, service.Name);
        if (running.Count != service.Replicas || !running.All(c => c.IsReady)
            || !running.Select(c => c.Id).ToHashSet(StringComparer.Ordinal).SetEquals(before.ContainerIds))
        {
            _session.Info($"{service.Name}: same image and configuration as the last deploy, but not the containers it left serving: rolling out.");
            return false;
        }

        _serving.Now[service.Name] = before;
        _serving.Kept.Add(service.Name);
        _session.Info($"{service.Name}: unchanged since the last deploy (same image and configuration): its {running.Count} container(s) keep serving, not recreated.");
        return true;
    }

    /// <summary>After <paramref name="service"/> rolled out: the containers that serve it now.</summary>
    private void Served(ComposeAppService service, IEnumerable<DockerContainer> containers)
    {
        if (_serving.Fingerprints.TryGetValue(service.Name, out var fingerprint))
        {
            _serving.Now[service.Name] = new ServedService(fingerprint, [.. containers.Select(c => c.Id).Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>After a successful apply: what serves each service now, for the next deploy to compare with.</summary>
    private void RememberServing()
    {
        if (!_session.IsDryRun && _serving.Now.Count > 0)
        {
            StepRecord.Write(ServingRecordPath, ServingRecordPath, new ServingRecord(new SortedDictionary<string, ServedService>(_serving.Now, StringComparer.Ordinal)), _session.Warning);
        }
    }

    /// <summary>
    /// <paramref name="service"/>'s section of the release's override as text, without the release-version label (which
    /// every release changes); null when the file cannot be read or has no such section, so the service rolls out.
    /// </summary>
    private static string? ConfigurationOf(string overrideFile, string service)
    {
        try
        {
            var yaml = new YamlStream();
            using (var reader = new StringReader(InputFile.ReadText(overrideFile, overrideFile, MaxOverrideBytes)))
            {
                yaml.Load(reader);
            }

            if (yaml.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root
                || !root.Children.TryGetValue(new YamlScalarNode("services"), out var services) || services is not YamlMappingNode serviceMap
                || !serviceMap.Children.TryGetValue(new YamlScalarNode(service), out var section) || section is not YamlMappingNode definition)
            {
                return null;
            }

            if (definition.Children.TryGetValue(new YamlScalarNode("labels"), out var labels) && labels is YamlMappingNode labelMap)
            {
                labelMap.Children.Remove(new YamlScalarNode(ComposeOverride.VersionLabel));
            }

            using var text = new StringWriter();
            new YamlStream(new YamlDocument(definition)).Save(text, assignAnchors: false);
            return text.ToString();
        }
        catch (Exception e) when (e is InputFileException or YamlException)
        {
            return null;
        }
    }

    /// <summary>Per apply: what served before it, this release's fingerprints, what serves now, and the services left as they were.</summary>
    private sealed record Serving(IReadOnlyDictionary<string, ServedService> Before, IReadOnlyDictionary<string, string> Fingerprints, HashSet<string> Kept)
    {
        public static Serving None => new(new Dictionary<string, ServedService>(), new Dictionary<string, string>(), []);

        public Dictionary<string, ServedService> Now { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>What served each app service after the last successful deploy.</summary>
internal sealed record ServingRecord(IReadOnlyDictionary<string, ServedService> Services);

/// <summary>A service's fingerprint (stack, image, configuration) and the ids of the containers that served it.</summary>
internal sealed record ServedService(string Fingerprint, IReadOnlyList<string> ContainerIds);
