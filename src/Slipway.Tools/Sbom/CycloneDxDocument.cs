using System.Collections.Immutable;
using System.Text.Json;

namespace Slipway.Tools.Sbom;

/// <summary>One component listed in a CycloneDX SBOM.</summary>
/// <param name="Name">The component's name, e.g. <c>libssl3</c> or <c>Npgsql</c>.</param>
/// <param name="Version">Its version, when the SBOM gives one.</param>
/// <param name="Purl">Its package URL, e.g. <c>pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64</c>, when given.</param>
/// <param name="Type">The CycloneDX component type: <c>library</c>, <c>application</c>, <c>operating-system</c>…</param>
public sealed record CycloneDxComponent(string Name, string? Version, string? Purl, string Type)
{
    /// <summary>The package URL type (<c>deb</c>, <c>nuget</c>, <c>npm</c>…), or null without a purl.</summary>
    public string? PurlType
    {
        get
        {
            if (Purl is null || !Purl.StartsWith("pkg:", StringComparison.Ordinal))
            {
                return null;
            }

            var slash = Purl.IndexOf('/', 4);
            return slash < 0 ? null : Purl[4..slash];
        }
    }
}

/// <summary>
/// A CycloneDX JSON SBOM that passed the checks a deploy gate relies on: it is CycloneDX, its spec
/// version is one this pipeline reads (1.4 to 1.7), and it lists at least one component. Nested
/// components are flattened into <see cref="Components"/>.
/// </summary>
/// <param name="Path">The file the SBOM was read from; every error names it.</param>
/// <param name="SpecVersion">The CycloneDX spec version, e.g. <c>1.7</c>.</param>
/// <param name="Components">Every component, in document order (nested ones after their parent).</param>
public sealed record CycloneDxDocument(string Path, string SpecVersion, ImmutableArray<CycloneDxComponent> Components)
{
    /// <summary>The spec versions this pipeline reads. 1.4 is the oldest cdxgen still writes (<c>--spec-version</c>).</summary>
    public static ImmutableArray<string> SupportedSpecVersions { get; } = ["1.4", "1.5", "1.6", "1.7"];

    /// <summary>How many components the SBOM lists, nested ones included.</summary>
    public int ComponentCount => Components.Length;

    /// <summary>Reads and validates the SBOM at <paramref name="path"/>; see <see cref="Validate"/>.</summary>
    /// <exception cref="SbomValidationException">The file is missing or is not an SBOM this pipeline accepts.</exception>
    public static CycloneDxDocument Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new SbomValidationException(path, "the file does not exist. Did the SBOM step run, and did cdxgen exit with 0?");
        }

        return Validate(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Parses <paramref name="json"/> and checks it: <c>bomFormat</c> is <c>CycloneDX</c>, <c>specVersion</c>
    /// is one of <see cref="SupportedSpecVersions"/>, and <c>components</c> is not empty (an empty SBOM
    /// usually means the generator could not see the image or the lock file, not that there is nothing in it).
    /// </summary>
    /// <param name="json">The SBOM's text.</param>
    /// <param name="path">Where it came from, for error messages.</param>
    /// <exception cref="SbomValidationException">The text is not an SBOM this pipeline accepts.</exception>
    public static CycloneDxDocument Validate(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new SbomValidationException(path, $"it is not valid JSON ({ex.Message}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SbomValidationException(path, $"the top level is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object.");
            }

            var format = StringProperty(root, "bomFormat");
            if (!string.Equals(format, "CycloneDX", StringComparison.Ordinal))
            {
                var found = format is null ? "no bomFormat" : $"bomFormat '{format}'";
                var hint = root.TryGetProperty("spdxVersion", out _) ? " It looks like SPDX;" : string.Empty;
                throw new SbomValidationException(path, $"it has {found}, expected 'CycloneDX'.{hint} Generate a CycloneDX JSON SBOM (cdxgen writes one by default).");
            }

            var specVersion = StringProperty(root, "specVersion")
                ?? throw new SbomValidationException(path, "it has no specVersion. A CycloneDX JSON SBOM states its spec version (e.g. \"specVersion\": \"1.7\").");
            if (!SupportedSpecVersions.Contains(specVersion))
            {
                throw new SbomValidationException(path, $"its specVersion is '{specVersion}'; supported are {string.Join(", ", SupportedSpecVersions)}. Regenerate it with a current cdxgen (--spec-version 1.7).");
            }

            var components = ImmutableArray.CreateBuilder<CycloneDxComponent>();
            if (root.TryGetProperty("components", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                Collect(list, "components", path, components);
            }

            if (components.Count == 0)
            {
                throw new SbomValidationException(path, "it lists no components. The generator probably could not read the image or the project's lock file: check its output, and that the image exists on the engine it was pointed at.");
            }

            return new CycloneDxDocument(path, specVersion, components.ToImmutable());
        }
    }

    /// <summary>True when some component's name satisfies <paramref name="namePredicate"/>.</summary>
    public bool HasComponent(Func<string, bool> namePredicate)
    {
        ArgumentNullException.ThrowIfNull(namePredicate);
        return Components.Any(c => namePredicate(c.Name));
    }

    /// <summary>True when some component has a package URL of type <paramref name="purlType"/> (<c>deb</c>, <c>nuget</c>…).</summary>
    public bool HasPurlType(string purlType) =>
        Components.Any(c => string.Equals(c.PurlType, purlType, StringComparison.Ordinal));

    /// <summary>The components whose package URL starts with <paramref name="purlPrefix"/>, e.g. <c>pkg:deb/debian/</c>.</summary>
    public ImmutableArray<CycloneDxComponent> WithPurlPrefix(string purlPrefix)
    {
        ArgumentNullException.ThrowIfNull(purlPrefix);
        return [.. Components.Where(c => c.Purl is not null && c.Purl.StartsWith(purlPrefix, StringComparison.Ordinal))];
    }

    private static void Collect(JsonElement list, string jsonPath, string path, ImmutableArray<CycloneDxComponent>.Builder into)
    {
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var here = $"{jsonPath}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new SbomValidationException(path, $"{here} is not an object.");
            }

            // name and type are required by every CycloneDX spec version; a component without a name
            // cannot be matched against a vulnerability, so it is an error rather than a row to skip.
            var name = StringProperty(item, "name");
            if (string.IsNullOrEmpty(name))
            {
                throw new SbomValidationException(path, $"{here} has no name.");
            }

            into.Add(new CycloneDxComponent(name, StringProperty(item, "version"), StringProperty(item, "purl"), StringProperty(item, "type") ?? "library"));
            if (item.TryGetProperty("components", out var nested) && nested.ValueKind == JsonValueKind.Array)
            {
                Collect(nested, here + ".components", path, into);
            }
        }
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>An SBOM file is missing or is not one the pipeline accepts. The message names the file and what to do.</summary>
public sealed class SbomValidationException : Exception
{
    /// <summary>Creates the exception: <c>SBOM PATH is not usable: PROBLEM</c>.</summary>
    public SbomValidationException(string path, string problem)
        : base($"SBOM {path} is not usable: {problem}")
    {
        Path = path;
    }

    /// <summary>The SBOM file.</summary>
    public string Path { get; }
}
