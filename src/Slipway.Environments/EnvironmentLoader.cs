using System.Collections.Frozen;
using Slipway.Processes;

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

    /// <summary>
    /// The variable that allows <c>file:</c> secrets outside the repository: directories separated by the system's path
    /// separator (<c>:</c> on Linux), e.g. <c>/run/secrets:/etc/slipway</c>. Without it, a <c>file:</c> secret must be
    /// inside the repository.
    /// </summary>
    public const string SecretDirectoriesVariable = "SLIPWAY_SECRET_DIRECTORIES";

    /// <summary>The JSON schema kept beside the environment files; the one other file the folder may hold.</summary>
    private const string SchemaFileName = "environment.schema.json";

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
    /// <param name="cancellation">Stops a load in progress (Ctrl-C) with <see cref="OperationCanceledException"/>.</param>
    public EnvironmentLoadResult Load(string environmentsDirectory, string name, IReadOnlyDictionary<string, string> variables, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Load(new FileSet(this, environmentsDirectory, cancellation), name, variables);
    }

    /// <summary>
    /// Loads every environment in the directory except <c>base</c>, sorted by name; each file is read
    /// once. An empty or missing directory gives an empty list.
    /// </summary>
    /// <param name="environmentsDirectory">The directory of the environment files (absolute, or relative to the root).</param>
    /// <param name="variables">Values for <c>${VAR}</c>: the pipeline's parameters and the environment variables.</param>
    /// <param name="cancellation">Stops a load in progress (Ctrl-C) with <see cref="OperationCanceledException"/>.</param>
    public IReadOnlyList<EnvironmentLoadResult> LoadAll(string environmentsDirectory, IReadOnlyDictionary<string, string> variables, CancellationToken cancellation = default)
    {
        var files = new FileSet(this, environmentsDirectory, cancellation);
        return files.FolderProblem() is not null ? [] : [.. files.EnvironmentNames().Select(name => Load(files, name, variables))];
    }

    /// <summary>
    /// What is wrong with the environments directory as a whole, for <c>ValidateEnvironments</c>: it is missing, outside
    /// the repository, or holds no environment; and every entry in it that is not an environment file (<c>qa.yaml</c>, a
    /// name that is not a valid environment name, a stray file), which would otherwise be silently ignored.
    /// </summary>
    /// <param name="environmentsDirectory">The directory of the environment files (absolute, or relative to the root).</param>
    public IReadOnlyList<ConfigurationError> CheckDirectory(string environmentsDirectory)
    {
        var files = new FileSet(this, environmentsDirectory, CancellationToken.None);
        if (files.FolderProblem() is { } problem)
        {
            return [problem];
        }

        var errors = files.UnrecognisedEntries().ToList();
        if (!files.EnvironmentNames().Any())
        {
            errors.Add(new ConfigurationError(files.DisplayDirectory, 0, 0, string.Empty,
                $"no environment to validate: the directory holds no <name>{FileExtension} file besides {BaseName}{FileExtension}; add one (e.g. dev{FileExtension}), or point --environments-directory at the right directory"));
        }

        return errors;
    }

    private EnvironmentLoadResult Load(FileSet files, string name, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var errors = new List<ConfigurationError>();
        if (files.FolderProblem() is { } folderProblem)
        {
            errors.Add(folderProblem with { Message = $"environment {PrintableText.Quote(name)} cannot be loaded: {folderProblem.Message}" });
            return Finish(name, null, errors);
        }

        if (ResourceName.Problem("environment", name) is { } badName)
        {
            errors.Add(new ConfigurationError(files.DisplayDirectory, 0, 0, string.Empty, badName));
            return Finish(name, null, errors);
        }

        var chain = files.ResolveChain(name, errors);
        if (chain is null)
        {
            return Finish(name, null, errors);
        }

        SourceMapping? merged = null;
        for (var i = 0; i < chain.Count; i++)
        {
            var layer = chain[i];
            errors.AddRange(layer.Errors);
            if (layer.Root is not null)
            {
                if (i < chain.Count - 1 && layer.Root.Entries.Count == 0)
                {
                    // Otherwise every required key it should have held is reported as missing from the child alone.
                    errors.Add(new ConfigurationError(layer.DisplayPath, layer.Root.Location.Line, layer.Root.Location.Column, string.Empty,
                        "the file is empty, but environments extend it; put the settings they share in it, or remove their 'extends'"));
                }

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

        var context = new BindingContext(name, _secretSchemes, errors)
        {
            RootDirectory = _rootDirectory,
            SecretDirectories = SecretDirectories(variables),
        };
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

    private static EnvironmentLoadResult Finish(string name, DeployEnvironment? environment, List<ConfigurationError> errors)
    {
        var sorted = errors.Distinct().OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ThenBy(e => e.Column).ToList();
        if (sorted.Count > EnvironmentLimits.MaxErrors)
        {
            // A generated or garbled file can hold an error per line; the first ones are what a person fixes first.
            var more = sorted.Count - EnvironmentLimits.MaxErrors;
            sorted = [.. sorted.Take(EnvironmentLimits.MaxErrors), new ConfigurationError(sorted[EnvironmentLimits.MaxErrors].File, 0, 0, string.Empty,
                $"{more} more error(s) not shown (at most {EnvironmentLimits.MaxErrors} are listed); fix the ones above first")];
        }

        return new(name, environment, sorted);
    }

    /// <summary>The directories <see cref="SecretDirectoriesVariable"/> allows <c>file:</c> secrets in, as full paths.</summary>
    internal static IReadOnlyList<string> SecretDirectories(IReadOnlyDictionary<string, string> variables) =>
        variables.TryGetValue(SecretDirectoriesVariable, out var value)
            ? [.. value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Path.IsPathFullyQualified).Select(Path.GetFullPath)]
            : [];

    private static SourceMapping WithoutExtends(SourceMapping root) =>
        root.Find("extends") is null ? root : root with { Entries = [.. root.Entries.Where(e => e.Key != "extends")] };

    private string Display(string fullPath) => Path.GetRelativePath(_rootDirectory, fullPath).Replace('\\', '/');

    /// <summary>One parsed file: its tree (null after a syntax error) and the errors reading it.</summary>
    private sealed record ParsedFile(string Name, string DisplayPath, SourceMapping? Root, IReadOnlyList<ConfigurationError> Errors);

    /// <summary>The files of one directory, each read and parsed at most once per load call.</summary>
    private sealed class FileSet(EnvironmentLoader loader, string directory, CancellationToken cancellation)
    {
        private readonly string _directory = Path.GetFullPath(directory, loader._rootDirectory);
        private readonly Dictionary<string, ParsedFile?> _parsed = new(StringComparer.Ordinal);
        private string? _realDirectory;

        public string DisplayDirectory => loader.Display(_directory);

        public IEnumerable<string> EnvironmentNames() =>
            AllNames().Where(n => !string.Equals(n, BaseName, StringComparison.Ordinal));

        /// <summary>Every entry named <c>&lt;valid name&gt;.yml</c>: files, links and directories alike, so that one that is not a file is named, not skipped.</summary>
        private IEnumerable<string> AllNames() =>
            Directory.Exists(_directory)
                ? Directory.EnumerateFileSystemEntries(_directory, "*" + FileExtension)
                    .Where(p => p.EndsWith(FileExtension, StringComparison.Ordinal))
                    .Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(ResourceName.IsValid).Order(StringComparer.Ordinal)
                : [];

        /// <summary>Why the directory itself cannot be read, or null.</summary>
        public ConfigurationError? FolderProblem()
        {
            string? problem = null;
            if (!ContainedPath.IsInside(loader._rootDirectory, _directory))
            {
                problem = $"the environments directory {PrintableText.Quote(directory)} is outside the repository; name one inside it, relative to the repository root";
            }
            else if (!Directory.Exists(_directory))
            {
                problem = File.Exists(_directory)
                    ? $"the environments directory {PrintableText.Quote(directory)} is a file, not a directory"
                    : $"the environments directory {PrintableText.Quote(directory)} does not exist; create it, or pass the right --environments-directory";
            }

            return problem is null ? null : new ConfigurationError(loader.Display(_directory), 0, 0, string.Empty, problem);
        }

        /// <summary>Entries of the folder that are neither an environment file nor the schema (hidden files aside).</summary>
        public IEnumerable<ConfigurationError> UnrecognisedEntries()
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(_directory).Order(StringComparer.Ordinal))
            {
                var fileName = Path.GetFileName(entry);
                var stem = Path.GetFileNameWithoutExtension(fileName);
                string? problem = null;
                if (fileName.StartsWith('.') || fileName == SchemaFileName)
                {
                    continue;
                }

                if (fileName.EndsWith(FileExtension, StringComparison.Ordinal))
                {
                    problem = ResourceName.Problem("environment", stem) is { } badName
                        ? $"not loaded: {badName} (an environment is <name>{FileExtension})"
                        : null;
                }
                else if (fileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(FileExtension, StringComparison.OrdinalIgnoreCase))
                {
                    var renamed = ResourceName.IsValid(stem) ? stem : ResourceName.Suggest(stem);
                    problem = $"not loaded: environment files are named <name>{FileExtension}" + (renamed is null ? string.Empty : $"; rename it to {renamed}{FileExtension}");
                }
                else
                {
                    problem = $"not an environment file ({(Directory.Exists(entry) ? "a directory" : "unrecognised")}); the folder holds only <name>{FileExtension} files and {SchemaFileName}: move it elsewhere";
                }

                if (problem is not null)
                {
                    yield return new ConfigurationError(loader.Display(entry), 0, 0, string.Empty, problem);
                }
            }
        }

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

                if (extends.Value is not SourceScalar { IsNull: false } parentName || !ResourceName.IsValid(parentName.Text))
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
            if (ResourceName.IsValid(name) && Exists(path))
            {
                var display = loader.Display(path);
                var errors = new List<ConfigurationError>();
                SourceMapping? root = null;
                try
                {
                    CheckLink(path, display);

                    // Streamed from a pooled buffer rather than read into one string: a large file's text would land
                    // on the large object heap and cost a full collection; only error reports need it whole.
                    root = InputFile.Read(path, display, EnvironmentLimits.MaxFileBytes,
                        (reader, wholeText) => YamlSourceReader.Read(reader, wholeText, display, errors, cancellation));
                }
                catch (InputFileException refused)
                {
                    errors.Add(new ConfigurationError(display, refused.Line, refused.Column, string.Empty, refused.Reason));
                }

                parsed = new ParsedFile(name, display, root, errors);
            }

            _parsed[name] = parsed;
            return parsed;
        }

        /// <summary>Anything by that name: a file, a directory, a FIFO, a link (even a broken one) — all named when refused, never skipped.</summary>
        private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

        /// <summary>A symbolic link is followed only to a file inside the environments folder.</summary>
        private void CheckLink(string path, string display)
        {
            if (new FileInfo(path).LinkTarget is null)
            {
                return;
            }

            _realDirectory ??= ContainedPath.RealPath(_directory);
            var target = ContainedPath.RealPath(path);
            if (!ContainedPath.IsInside(_realDirectory, target))
            {
                throw new InputFileException(display,
                    $"is a symbolic link to a file outside {DisplayDirectory}/; only links to files inside the environments folder are followed: copy the file in instead");
            }
        }
    }
}
