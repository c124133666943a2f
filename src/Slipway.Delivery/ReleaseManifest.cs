using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// <c>artifacts/release.json</c>: what the Publish target released, so every later target (SBOM, scan, sign,
/// deploy) works on exactly those digests instead of re-resolving tags that may have moved.
/// </summary>
/// <param name="Version">The released version (SemVer).</param>
/// <param name="Commit">The commit built.</param>
/// <param name="Created">When the release was published.</param>
/// <param name="Registry">The registry host, e.g. <c>127.0.0.1:5000</c>.</param>
/// <param name="Images">One entry per service image.</param>
public sealed partial record ReleaseManifest(string Version, string Commit, DateTimeOffset Created, string Registry, IReadOnlyList<ReleasedImage> Images)
{
    /// <summary>Where the pipeline keeps the manifest, relative to the repository root.</summary>
    public const string DefaultPath = "artifacts/release.json";

    /// <summary>
    /// The migrations the release's images carry, each as its script declares itself: <c>data.migrations.directory</c>
    /// as Publish read it when it built them. Null (and absent from the file) when the environment declares none, its
    /// scripts did not declare themselves, or an older Slipway published the release. A deploy trusts only this list,
    /// not the checkout it runs in, to decide that a release brings no migration the running one did not run.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ReleasedMigration>? Migrations { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // A misspelt field is an error, not a silently missing value.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,

        // The file is read by people and by other tools, not embedded in HTML: keep '+' in versions as '+'.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the manifest as indented camelCase JSON, images sorted by service so the file does not depend on
    /// the order parallel pushes finished in. Written to a temporary file and moved, so a reader never sees
    /// half a file.
    /// </summary>
    /// <exception cref="InvalidOperationException">The manifest is not valid; nothing is written.</exception>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var problems = Problems(this);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Refusing to write an invalid release manifest to {path}: {string.Join("; ", problems.Select(p => p.Text))}.");
        }

        var sorted = this with { Images = [.. Images.OrderBy(i => i.Service, StringComparer.Ordinal)] };
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, JsonSerializer.Serialize(sorted, Options) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads and validates a manifest written by <see cref="Write"/>.</summary>
    /// <exception cref="ReleaseManifestException">
    /// The file is missing, is not JSON of this shape, or has a bad field; the message names the file and every bad field.
    /// </exception>
    public static ReleaseManifest Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path) && InputFile.KindOf(path) == FileKind.Missing && new FileInfo(path).LinkTarget is null)
        {
            throw new ReleaseManifestException(path, [], $"{path} does not exist. Run the Publish target to create it.");
        }

        string text;
        try
        {
            // Only a regular file of a sane size: a FIFO in its place would hang the deploy, a huge file exhaust it.
            text = InputFile.ReadText(path, path, RecordedValue.MaxManifestBytes);
        }
        catch (InputFileException e)
        {
            throw new ReleaseManifestException(path, ["(document)"], $"{e.Message}. Run the Publish target to create it.", e);
        }

        ReleaseManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ReleaseManifest>(text, Options);
        }
        catch (JsonException e)
        {
            var field = e.Path is null or "$" ? "(document)" : e.Path.TrimStart('$', '.');
            var at = e.LineNumber is { } line ? $"{path}:{line + 1}:{(e.BytePositionInLine ?? 0) + 1}" : path;
            var where = field == "(document)" ? string.Empty : $" at {field}";
            throw new ReleaseManifestException(path, [field], $"{at}: not a valid release manifest{where}: {PrintableText.Escape(JsonReason(e))} Run the Publish target to create it.", e);
        }

        List<Problem> problems = manifest is null ? [new("(document)", "the document is null")] : Problems(manifest);
        if (problems.Count > 0)
        {
            throw new ReleaseManifestException(
                path,
                [.. problems.Select(p => p.Field).Distinct(StringComparer.Ordinal)],
                $"{path} is not a valid release manifest: {string.Join("; ", problems.Select(p => p.Text))}. Run the Publish target to create it.");
        }

        return manifest!;
    }

    /// <summary>System.Text.Json's reason without its own "Path: … | LineNumber: …" tail, which the message already gives.</summary>
    private static string JsonReason(JsonException e)
    {
        var reason = e.Message;
        var tail = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        return tail > 0 ? reason[..tail] : reason;
    }

    /// <summary>Every problem at once, so one run of the pipeline reports them all.</summary>
    private static List<Problem> Problems(ReleaseManifest manifest)
    {
        var problems = new List<Problem>();
        Require(problems, "version", manifest.Version);
        if (!string.IsNullOrWhiteSpace(manifest.Version) && !RecordedValue.IsVersion(manifest.Version))
        {
            problems.Add(new("version", $"version {PrintableText.Quote(manifest.Version)} is not {RecordedValue.VersionRule}"));
        }

        Require(problems, "commit", manifest.Commit);
        Require(problems, "registry", manifest.Registry);
        if (!string.IsNullOrWhiteSpace(manifest.Registry) && !RecordedValue.IsImageReference(manifest.Registry))
        {
            problems.Add(new("registry", $"registry {PrintableText.Quote(manifest.Registry)} is not a registry host"));
        }
        if (manifest.Created == default)
        {
            problems.Add(new("created", "created is missing"));
        }

        if (manifest.Images is null || manifest.Images.Count == 0)
        {
            problems.Add(new("images", "images is empty: a release has at least one image"));
            return problems;
        }

        for (var i = 0; i < manifest.Images.Count; i++)
        {
            var image = manifest.Images[i];
            var at = $"images[{i}]";
            if (image is null)
            {
                problems.Add(new(at, $"{at} is null"));
                continue;
            }

            Require(problems, at + ".service", image.Service);
            Require(problems, at + ".repository", image.Repository);
            Require(problems, at + ".tag", image.Tag);
            CheckImage(problems, at, image);
            if (string.IsNullOrWhiteSpace(image.Digest))
            {
                problems.Add(new(at + ".digest", $"{at}.digest is missing"));
            }
            else if (!DigestPattern().IsMatch(image.Digest))
            {
                problems.Add(new(at + ".digest", $"{at}.digest '{PrintableText.Escape(image.Digest.Length > 80 ? image.Digest[..80] + "…" : image.Digest)}' is not 'sha256:' followed by 64 lowercase hex digits"));
            }
        }

        foreach (var duplicate in manifest.Images.Where(i => i is not null).GroupBy(i => i.Service, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add(new("images", $"images lists service '{PrintableText.Escape(duplicate.Key)}' {duplicate.Count()} times"));
        }

        CheckMigrations(problems, manifest.Migrations);
        return problems;
    }

    /// <summary>Ids that name a script of the migrations directory, kinds a script can declare, each id once.</summary>
    private static void CheckMigrations(List<Problem> problems, IReadOnlyList<ReleasedMigration>? migrations)
    {
        if (migrations is null)
        {
            return;
        }

        if (migrations.Count > MigrationDeclarations.MaxScripts)
        {
            problems.Add(new("migrations", $"migrations lists {migrations.Count} entries; a migrations directory holds at most {MigrationDeclarations.MaxScripts}"));
            return;
        }

        for (var i = 0; i < migrations.Count; i++)
        {
            var at = $"migrations[{i}]";
            if (migrations[i] is not { } migration)
            {
                problems.Add(new(at, $"{at} is null"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(migration.Id))
            {
                problems.Add(new(at + ".id", $"{at}.id is missing"));
            }
            else if (!MigrationDeclarations.IsId(migration.Id))
            {
                problems.Add(new(at + ".id", $"{at}.id {PrintableText.Quote(migration.Id)} is not a migration id: {MigrationDeclarations.IdRule}"));
            }

            if (MigrationDeclarations.KindNamed(migration.Kind) is null)
            {
                problems.Add(new(at + ".kind", $"{at}.kind {(migration.Kind is null ? "is missing" : PrintableText.Quote(migration.Kind) + " is neither")}: it is 'expand' or 'contract'"));
            }
        }

        foreach (var duplicate in migrations.Where(m => m?.Id is not null).GroupBy(m => m.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add(new("migrations", $"migrations lists '{PrintableText.Escape(duplicate.Key)}' {duplicate.Count()} times"));
        }
    }

    /// <summary>The values that become paths, tool arguments and variables: a service name, a repository, a tag, an SBOM path.</summary>
    private static void CheckImage(List<Problem> problems, string at, ReleasedImage image)
    {
        if (!string.IsNullOrWhiteSpace(image.Service) && ResourceName.Problem("service", image.Service) is { } badService)
        {
            problems.Add(new(at + ".service", $"{at}.service {badService}"));
        }

        if (!string.IsNullOrWhiteSpace(image.Repository) && !RecordedValue.IsImageReference(image.Repository))
        {
            problems.Add(new(at + ".repository", $"{at}.repository {PrintableText.Quote(image.Repository)} is not an image repository"));
        }

        if (!string.IsNullOrWhiteSpace(image.Tag) && !RecordedValue.IsTag(image.Tag))
        {
            problems.Add(new(at + ".tag", $"{at}.tag {PrintableText.Quote(image.Tag)} is not a Docker tag"));
        }

        if (image.Sbom is { } sbom && ContainedPath.LexicalProblem(sbom) is { } outside)
        {
            problems.Add(new(at + ".sbom", $"{at}.sbom {PrintableText.Quote(sbom)} is {outside}: an SBOM must be inside the manifest's directory"));
        }
    }

    private static void Require(List<Problem> problems, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(new(field, $"{field} is missing"));
        }
    }

    /// <summary>One bad field and what is wrong with it, starting with the field's path.</summary>
    private readonly record struct Problem(string Field, string Text);

    [GeneratedRegex("^sha256:[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();
}

/// <summary>One service image of a release.</summary>
/// <param name="Service">The service name, e.g. <c>api</c>.</param>
/// <param name="Repository">The full repository, e.g. <c>127.0.0.1:5000/slipway/api</c>.</param>
/// <param name="Tag">The tag pushed, e.g. <c>1.0.0</c>.</param>
/// <param name="Digest">The manifest digest the registry reported, <c>sha256:</c> and 64 hex digits.</param>
/// <param name="Sbom">The SBOM's path relative to the manifest's directory; null until the Sbom target has run.</param>
public sealed record ReleasedImage(string Service, string Repository, string Tag, string Digest, string? Sbom = null)
{
    /// <summary><c>REPOSITORY@DIGEST</c>: the immutable reference every later target must use, never the tag.</summary>
    [JsonIgnore]
    public string Reference => $"{Repository}@{Digest}";
}

/// <summary>One migration a release's images carry, as its script declares itself.</summary>
/// <param name="Id">The script's file name without <c>.sql</c>, e.g. <c>0002_add_orders_processed_by</c>.</param>
/// <param name="Kind"><c>expand</c> or <c>contract</c>.</param>
public sealed record ReleasedMigration(string Id, string Kind)
{
    /// <summary>The entry for <paramref name="migration"/>.</summary>
    public static ReleasedMigration From(DeclaredMigration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return new(migration.Id, MigrationDeclarations.NameOf(migration.Kind));
    }

    /// <summary>The declaration this entry records; only for an entry <see cref="ReleaseManifest.Read"/> accepted.</summary>
    public DeclaredMigration ToDeclared() => new(Id, MigrationDeclarations.KindNamed(Kind) ?? throw new InvalidOperationException($"'{Kind}' is not a migration kind"));
}

/// <summary>
/// <c>artifacts/release.json</c> is missing or invalid. The message names the file and every bad field, and says
/// how to create a good one.
/// </summary>
public sealed class ReleaseManifestException : Exception, IRefusedInput
{
    /// <summary>Creates the exception.</summary>
    public ReleaseManifestException(string path, IReadOnlyList<string> fields, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
        Fields = fields;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ReleaseManifestException()
        : this(string.Empty, [], "The release manifest is invalid.")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ReleaseManifestException(string message)
        : this(string.Empty, [], message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ReleaseManifestException(string message, Exception innerException)
        : this(string.Empty, [], message, innerException)
    {
    }

    /// <summary>The manifest file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    string IRefusedInput.Input => Path;

    /// <summary>The bad fields, as JSON paths such as <c>images[1].digest</c>; empty when the file is missing.</summary>
    public IReadOnlyList<string> Fields { get; }
}
