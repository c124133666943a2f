using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Samples.Api.Migrations;

/// <summary>One SQL script, named <c>NNNN_description.sql</c>; the number orders it.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>Detects an applied script that was edited afterwards: the database would then
    /// differ from what a fresh install produces. Computed on read, not stored: a stored value
    /// would be copied unchanged by <c>with { Sql = ... }</c>.</summary>
    /// <remarks>The script's <c>-- slipway: expand|contract</c> declaration is left out: it says how a
    /// rollback may treat the migration, not what it does, so declaring an applied migration is not an
    /// edit of it.</remarks>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
        Sql.ReplaceLineEndings("\n").Split('\n').Where(line => !DeclarationLine().IsMatch(line))))));

    public string Id => $"{Version:D4}_{Name}";

    public static Migration FromFile(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new MigrationException($"Migration file '{fileName}' must be named NNNN_description.sql (e.g. 0003_add_orders_note.sql).");
        }

        return new Migration(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, sql);
    }

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();

    [GeneratedRegex(@"^\s*--\s*slipway:", RegexOptions.IgnoreCase)]
    private static partial Regex DeclarationLine();
}

/// <summary>The scripts embedded in this assembly (see Api.csproj), so the migrate step needs
/// nothing but the published image.</summary>
public static class EmbeddedMigrations
{
    private const string Prefix = "Migrations/";

    public static IReadOnlyList<Migration> Load() => Load(typeof(EmbeddedMigrations).Assembly);

    public static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(Migration.FromFile(resource[Prefix.Length..], reader.ReadToEnd()));
        }

        return migrations;
    }
}

/// <summary>An expected migration failure: reported as a message and a non-zero exit code,
/// without a stack trace.</summary>
public sealed class MigrationException : Exception
{
    public MigrationException()
    {
    }

    public MigrationException(string message)
        : base(message)
    {
    }

    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
