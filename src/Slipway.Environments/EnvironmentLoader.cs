using System.Collections.Frozen;

namespace Slipway.Environments;

/// <summary>
/// Loads <c>environments/&lt;name&gt;.yml</c>: reads it and the files it <c>extends</c> (with
/// positions), layers them (maps merge, lists replace, <c>null</c> removes), interpolates <c>${VAR}</c>,
/// binds the result to <see cref="DeployEnvironment"/> and checks the rules that span several keys.
/// Every error of a run is collected, so a person fixes the files in one pass.
/// </summary>
public sealed class EnvironmentLoader
{
    /// <summary>The variable every environment can use for its own name, e.g. in a Compose project name.</summary>
    public const string EnvironmentNameVariable = "SLIPWAY_ENVIRONMENT";

    /// <summary>The file extension of environment files.</summary>
    public const string FileExtension = ".yml";

    /// <summary>The abstract parent every environment extends; loaded only through its children.</summary>
    public const string BaseName = "base";

    private readonly string _rootDirectory;
    private readonly FrozenSet<string> _secretSchemes;

    /// <summary>Creates a loader that knows the <c>env</c> and <c>file</c> secret schemes.</summary>
    /// <param name="rootDirectory">The repository root; error and origin paths are relative to it.</param>
    public EnvironmentLoader(string rootDirectory)
        : this(rootDirectory, ["env", "file"])
    {
    }

    /// <summary>Creates a loader that accepts exactly <paramref name="secretSchemes"/> (see <see cref="SecretResolver.Schemes"/>).</summary>
    /// <param name="rootDirectory">The repository root; error and origin paths are relative to it.</param>
    /// <param name="secretSchemes">The secret reference schemes that have a provider.</param>
    public EnvironmentLoader(string rootDirectory, IEnumerable<string> secretSchemes)
    {
        ArgumentNullException.ThrowIfNull(rootDirectory);
        ArgumentNullException.ThrowIfNull(secretSchemes);
        _rootDirectory = Path.GetFullPath(rootDirectory);
        _secretSchemes = secretSchemes.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>Loads one environment.</summary>
    /// <param name="environmentsDirectory">The directory of the environment files (absolute, or relative to the root).</param>
    /// <param name="name">The environment name, e.g. <c>staging</c>.</param>
    /// <param name="variables">Values for <c>${VAR}</c>: the pipeline's parameters and the environment variables.</param>
    public EnvironmentLoadResult Load(string environmentsDirectory, string name, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Load(new FileSet(this, environmentsDirectory), name, variables);
    }

    /// <summary>
    /// Loads every environment in the directory except <c>base</c>, sorted by name; each file is read
    /// once. An empty or missing directory gives an empty list.
    /// </summary>
    /// <param name="environmentsDirectory">The directory of the environment files (absolute, or relative to the root).</param>
    /// <param name="variables">Values for <c>${VAR}</c>: the pipeline's parameters and the environment variables.</param>
    public IReadOnlyList<EnvironmentLoadResult> LoadAll(string environmentsDirectory, IReadOnlyDictionary<string, string> variables)
    {
        var files = new FileSet(this, environmentsDirectory);
        return [.. files.EnvironmentNames().Select(name => Load(files, name, variables))];
    }

    private EnvironmentLoadResult Load(FileSet files, string name, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var errors = new List<ConfigurationError>();
        var chain = files.ResolveChain(name, errors);
        if (chain is null)
        {
            return Finish(name, null, errors);
        }

        SourceMapping? merged = null;
        foreach (var layer in chain)
        {
            errors.AddRange(layer.Errors);
            if (layer.Root is not null)
            {
                merged = LayerMerger.Merge(merged, WithoutExtends(layer.Root));
            }
        }

        if (merged is null || chain.Any(layer => layer.Root is null))
        {
            return Finish(name, null, errors);
        }

        var withName = new Dictionary<string, string>(variables.Count + 1, StringComparer.Ordinal);
        foreach (var (key, value) in variables)
        {
            withName[key] = value;
        }

        withName[EnvironmentNameVariable] = name;
        var interpolated = (SourceMapping)VariableInterpolator.Interpolate(merged, string.Empty, withName, errors);

        var context = new BindingContext(name, _secretSchemes, errors);
        if (!RecordShape.For(typeof(DeployEnvironment)).TryBind(interpolated, string.Empty, context, out var bound) || errors.Count > 0)
        {
            return Finish(name, null, errors);
        }

        var environment = (DeployEnvironment)bound! with
        {
            Name = name,
            Layers = [.. chain.Select(layer => layer.DisplayPath)],
            Origins = new EnvironmentOrigins(interpolated),
        };
        EnvironmentRules.Check(environment, chain[^1].DisplayPath, errors);
        return Finish(name, errors.Count == 0 ? environment : null, errors);
    }

    private static EnvironmentLoadResult Finish(string name, DeployEnvironment? environment, List<ConfigurationError> errors) =>
        new(name, environment, [.. errors.Distinct().OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ThenBy(e => e.Column)]);

    private static SourceMapping WithoutExtends(SourceMapping root) =>
        root.Find("extends") is null ? root : root with { Entries = [.. root.Entries.Where(e => e.Key != "extends")] };

    private string Display(string fullPath) => Path.GetRelativePath(_rootDirectory, fullPath).Replace('\\', '/');

    /// <summary>One parsed file: its tree (null after a syntax error) and the errors reading it.</summary>
    private sealed record ParsedFile(string Name, string DisplayPath, SourceMapping? Root, IReadOnlyList<ConfigurationError> Errors);

    /// <summary>The files of one directory, each read and parsed at most once per load call.</summary>
    private sealed class FileSet(EnvironmentLoader loader, string directory)
    {
        private readonly string _directory = Path.GetFullPath(directory, loader._rootDirectory);
        private readonly Dictionary<string, ParsedFile?> _parsed = new(StringComparer.Ordinal);

        public IEnumerable<string> EnvironmentNames() =>
            AllNames().Where(n => !string.Equals(n, BaseName, StringComparison.Ordinal));

        private IEnumerable<string> AllNames() =>
            Directory.Exists(_directory)
                ? Directory.EnumerateFiles(_directory, "*" + FileExtension).Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)
                : [];

        /// <summary>The files from the most general parent down to <paramref name="name"/>; null when the chain is broken.</summary>
        public List<ParsedFile>? ResolveChain(string name, List<ConfigurationError> errors)
        {
            var chain = new List<ParsedFile>();
            var current = Get(name);
            if (current is null)
            {
                var available = EnvironmentNames().ToList();
                errors.Add(new ConfigurationError(loader.Display(PathOf(name)), 0, 0, string.Empty,
                    $"environment '{name}' does not exist{NameSuggestion.DidYouMean(name, available)} (available: {string.Join(", ", available)})"));
                return null;
            }

            while (true)
            {
                chain.Add(current);
                var extends = current.Root?.Find("extends");
                if (extends is null)
                {
                    break;
                }

                if (extends.Value is not SourceScalar { IsNull: false } parentName || parentName.Text.Contains('/', StringComparison.Ordinal))
                {
                    errors.Add(new ConfigurationError(extends.Value.Location.File, extends.Value.Location.Line, extends.Value.Location.Column,
                        "extends", $"expected the name of another environment file, e.g. base, got {extends.Value.Describe()}"));
                    return null;
                }

                if (chain.FindIndex(f => f.Name == parentName.Text) is var seen and >= 0)
                {
                    var cycle = string.Join(" -> ", chain.Skip(seen).Select(f => f.Name).Append(parentName.Text));
                    errors.Add(new ConfigurationError(parentName.Location.File, parentName.Location.Line, parentName.Location.Column,
                        "extends", $"extends cycle: {cycle}; an environment cannot extend itself, directly or through others"));
                    return null;
                }

                var parent = Get(parentName.Text);
                if (parent is null)
                {
                    var available = AllNames().Where(n => n != current.Name).ToList();
                    var hint = NameSuggestion.DidYouMean(parentName.Text, available);
                    errors.Add(new ConfigurationError(parentName.Location.File, parentName.Location.Line, parentName.Location.Column,
                        "extends", $"unknown parent environment \"{parentName.Text}\""
                            + (hint.Length > 0 ? hint : $"; no {parentName.Text}{FileExtension} next to this file")));
                    return null;
                }

                current = parent;
            }

            chain.Reverse();
            return chain;
        }

        private string PathOf(string name) => Path.Combine(_directory, name + FileExtension);

        private ParsedFile? Get(string name)
        {
            if (_parsed.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = PathOf(name);
            ParsedFile? parsed = null;
            if (IsPlainName(name) && File.Exists(path))
            {
                var display = loader.Display(path);
                var errors = new List<ConfigurationError>();

                // Streamed rather than read into one string: a large file's text would land on the
                // large object heap and cost a full collection; only error reports need it whole.
                using var reader = new StreamReader(path);
                var root = YamlSourceReader.Read(reader, () => File.ReadAllText(path), display, errors);
                parsed = new ParsedFile(name, display, root, errors);
            }

            _parsed[name] = parsed;
            return parsed;
        }

        private static bool IsPlainName(string name) =>
            name.Length > 0 && name.IndexOfAny(['/', '\\', ':']) < 0 && !name.StartsWith('.');
    }
}
