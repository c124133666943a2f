using Slipway.Processes;

namespace Slipway.Delivery.Backups;

/// <summary>
/// The backups of one environment in its backup directory, and what each was taken of: the name of a backup taken
/// while a revision ran ends in <c>rev-REVISION</c> (<c>prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump</c>), so
/// <c>RestoreBackup</c> knows which revision to deploy with its data without a second file that could go missing.
/// </summary>
public static class BackupCatalog
{
    /// <summary>The start of the version part of a backup taken while a revision ran.</summary>
    public const string RevisionPrefix = "rev-";

    /// <summary>The version part of a backup taken while <paramref name="running"/> ran: <c>rev-ID</c>, else <c>predeploy</c>.</summary>
    /// <param name="running">The revision running when the backup is taken (the ledger's last good one); null when unknown.</param>
    public static string LabelFor(LedgerEntry? running) =>
        running?.RevisionId is { } id ? RevisionPrefix + id : "predeploy";

    /// <summary>The revision <paramref name="backup"/> was taken of, from its name; null for a name without one.</summary>
    /// <param name="backup">A backup's name.</param>
    public static string? RevisionOf(BackupFileName backup)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var id = backup.Version.StartsWith(RevisionPrefix, StringComparison.Ordinal) ? backup.Version[RevisionPrefix.Length..] : null;
        return ReleaseRevision.IsId(id) ? id : null;
    }

    /// <summary>The backups of <paramref name="environment"/> in <paramref name="directory"/>, oldest first; none when it does not exist.</summary>
    /// <param name="directory">The environment's backup directory.</param>
    /// <param name="environment">The environment.</param>
    public static IReadOnlyList<BackupFileName> Of(string directory, string environment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return
        [
            .. Directory.EnumerateFiles(directory)
                .Select(Path.GetFileName)
                .Select(name => BackupFileName.TryParse(name, out var backup) ? backup : null)
                .OfType<BackupFileName>()
                .Where(b => string.Equals(b.Environment, environment, StringComparison.Ordinal))
                .OrderBy(b => b.Timestamp)
                .ThenBy(b => b.FileName, StringComparer.Ordinal),
        ];
    }

    /// <summary>
    /// Why <paramref name="name"/> (from the command line: hostile) cannot name a backup of <paramref name="environment"/>,
    /// or null when it can. Only a bare file name in the exact form Slipway writes passes, so no name reaches a path
    /// outside the backup directory.
    /// </summary>
    /// <param name="name">The name given with <c>--backup</c>.</param>
    /// <param name="environment">The environment restored.</param>
    /// <param name="shownDirectory">The backup directory, for the message.</param>
    public static string? NameError(string name, string environment, string shownDirectory)
    {
        ArgumentNullException.ThrowIfNull(name);
        var example = $"{environment}-20260301T090000Z-{RevisionPrefix}3f9a1b2c4d5e{BackupFileName.Extension}";
        if (!BackupFileName.TryParse(name, out var backup))
        {
            return $"--backup '{PrintableText.Escape(name.Length > 80 ? name[..80] + "…" : name)}' is not a backup file name: give the name of a file in {shownDirectory}, e.g. {example} (ASCII letters, digits, '.', '_' and '-'; no directory).";
        }

        return string.Equals(backup.Environment, environment, StringComparison.Ordinal)
            ? null
            : $"--backup {name} is a backup of {backup.Environment}, not of {environment}: give one of {environment}'s, e.g. {example}.";
    }
}
