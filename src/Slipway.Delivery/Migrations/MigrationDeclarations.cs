using System.Text.RegularExpressions;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Migrations;

/// <summary>
/// Reads what each migration script of <c>data.migrations.directory</c> declares itself: a line
/// <c>-- slipway: expand</c> or <c>-- slipway: contract</c> (optionally followed by why) among its leading comment lines. The declaration sits in the
/// script it describes, so it is written and reviewed with the SQL, and a script without one is refused (exit 2) before
/// anything runs.
/// </summary>
/// <remarks>
/// The scripts are input anyone with write access to the repository controls: names are checked before they reach the
/// ledger or a message, files are read with <see cref="InputFile"/> (regular files, bounded size, valid text), and every
/// problem is reported at once as <c>FILE:LINE:COLUMN: reason</c>.
/// </remarks>
public static partial class MigrationDeclarations
{
    /// <summary>The marker's prefix, after <c>--</c> and spaces.</summary>
    public const string Marker = "slipway:";

    /// <summary>The largest script read; a migration larger than this is not a reviewed script.</summary>
    public const long MaxScriptBytes = 4 << 20;

    /// <summary>The most scripts one directory may hold.</summary>
    public const int MaxScripts = 10_000;

    private const string Fix = "write '-- slipway: expand' (the previous release keeps working after it) or '-- slipway: contract' (it does not) in its leading comment lines";

    /// <summary>
    /// The declarations of every <c>*.sql</c> file directly in <paramref name="directory"/>, ordered by file name, and
    /// every problem found (all of them, each naming the file and line).
    /// </summary>
    /// <param name="directory">The migrations directory, absolute.</param>
    /// <param name="display">How messages name a path (relative to the repository root).</param>
    public static (IReadOnlyList<DeclaredMigration> Migrations, IReadOnlyList<string> Errors) Read(string directory, Func<string, string> display)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(display);
        if (!Directory.Exists(directory))
        {
            return ([], [$"{display(directory)}: the migrations directory (data.migrations.directory) does not exist: create it or correct the key"]);
        }

        var files = Directory.EnumerateFiles(directory, "*.sql", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Take(MaxScripts + 1)
            .ToList();
        if (files.Count > MaxScripts)
        {
            return ([], [$"{display(directory)}: more than {MaxScripts} migration scripts; Slipway reads at most that many"]);
        }

        var migrations = new List<DeclaredMigration>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            var shown = display(file);
            var name = Path.GetFileName(file);
            if (!ScriptName().IsMatch(name))
            {
                errors.Add($"{shown}: '{PrintableText.Escape(name)}' is not a migration name Slipway records: use ASCII letters, digits, '_', '-' and '.' (at most 128 characters), e.g. 0003_drop_legacy_status.sql");
                continue;
            }

            try
            {
                var text = InputFile.ReadText(file, shown, MaxScriptBytes);
                var (kind, error) = Parse(text, shown);
                if (error is not null)
                {
                    errors.Add(error);
                }
                else
                {
                    migrations.Add(new DeclaredMigration(name[..^".sql".Length], kind!.Value));
                }
            }
            catch (InputFileException e)
            {
                errors.Add(e.Message);
            }
        }

        return (migrations, errors);
    }

    /// <summary>
    /// The kind <paramref name="script"/> declares, or the error (<c>FILE:LINE:COLUMN: reason</c>): no declaration, two,
    /// or a kind other than expand and contract. Only the leading comment lines (and blank lines) are read, so a
    /// marker inside a statement or a string never counts.
    /// </summary>
    /// <param name="script">The script's text.</param>
    /// <param name="shown">How messages name it.</param>
    public static (MigrationKind? Kind, string? Error) Parse(string script, string shown)
    {
        ArgumentNullException.ThrowIfNull(script);
        MigrationKind? kind = null;
        var lines = script.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0)
            {
                continue;
            }

            if (!trimmed.StartsWith("--", StringComparison.Ordinal))
            {
                break;
            }

            var comment = trimmed[2..].TrimStart();
            if (!comment.StartsWith(Marker, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var column = line.Length - trimmed.Length + 1;
            var value = comment[Marker.Length..].Trim();
            if (kind is not null)
            {
                return (null, $"{shown}:{i + 1}:{column}: a second declaration; a migration declares itself once: {Fix}");
            }

            // The first word is the kind; the rest of the line may say why ("-- slipway: expand (a new nullable column)").
            var word = value.Split([' ', '\t', '('], 2)[0];
            kind = KindNamed(word.ToLowerInvariant());
            if (kind is null)
            {
                return (null, $"{shown}:{i + 1}:{column}: '{PrintableText.Escape(word.Length > 40 ? word[..40] + "…" : word)}' is not a migration kind: {Fix}");
            }
        }

        return kind is null
            ? (null, $"{shown}:1:1: declares neither expand nor contract: {Fix}, so a rollback across it can be judged")
            : (kind, null);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,123}\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptName();

    /// <summary>The kind <paramref name="name"/> names (<c>expand</c> or <c>contract</c>, exactly), or null.</summary>
    internal static MigrationKind? KindNamed(string? name) => name switch
    {
        "expand" => MigrationKind.Expand,
        "contract" => MigrationKind.Contract,
        _ => null,
    };

    /// <summary>The name a declaration and release.json give <paramref name="kind"/>: <c>expand</c> or <c>contract</c>.</summary>
    internal static string NameOf(MigrationKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>What a migration id is, for messages.</summary>
    internal const string IdRule = "ASCII letters, digits, '_', '-' and '.', starting with a letter or digit, at most 124 characters (a script's name without .sql)";

    /// <summary>True when <paramref name="id"/> is a script's name without <c>.sql</c>, as <see cref="Read"/> records it.</summary>
    internal static bool IsId(string id) => ScriptName().IsMatch(id + ".sql");
}
