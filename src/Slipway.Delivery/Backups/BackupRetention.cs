using Slipway.Environments;

namespace Slipway.Delivery.Backups;

/// <summary>
/// Which backups a deploy deletes: those of its own environment older than the retention, except the newest, which
/// is kept whatever its age so an environment that has not been deployed for a while still has one backup.
/// Files that are not backup files (<see cref="BackupFileName.TryParse"/>) or belong to another environment are
/// never touched, so the directory can be shared and can hold an operator's own files.
/// </summary>
internal static class BackupRetention
{
    /// <summary>
    /// The backups to delete, oldest first: of <paramref name="environment"/>, taken more than
    /// <paramref name="retention"/> before <paramref name="now"/> (one exactly at the limit stays), and not the newest.
    /// Pure: decides from the names alone.
    /// </summary>
    /// <param name="fileNames">The names in the backup directory, without directory; anything may be among them.</param>
    /// <param name="environment">The environment whose backups are pruned.</param>
    /// <param name="retention">How long backups are kept.</param>
    /// <param name="now">The current time.</param>
    public static IReadOnlyList<BackupFileName> SelectExpired(IEnumerable<string> fileNames, string environment, Duration retention, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(fileNames);
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        var backups = fileNames
            .Select(name => BackupFileName.TryParse(name, out var backup) ? backup : null)
            .OfType<BackupFileName>()
            .Where(backup => string.Equals(backup.Environment, environment, StringComparison.Ordinal))
            .ToList();
        if (backups.Count == 0)
        {
            return [];
        }

        // Every backup sharing the newest timestamp counts as the newest: which one is "the" newest would otherwise
        // depend on the version text.
        var newest = backups.Max(backup => backup.Timestamp);
        return
        [
            .. backups
                .Where(backup => backup.Timestamp < newest && now - backup.Timestamp > retention.Value)
                .OrderBy(backup => backup.Timestamp)
                .ThenBy(backup => backup.FileName, StringComparer.Ordinal),
        ];
    }

    /// <summary>
    /// Deletes the backups <see cref="SelectExpired"/> picks among the files of <paramref name="directory"/> (not its
    /// subdirectories) and returns their names, oldest first. A missing directory has nothing to prune.
    /// </summary>
    /// <param name="directory">The backup directory (<see cref="BackupPolicy.Directory"/>, resolved against the repository root).</param>
    /// <param name="environment">The environment whose backups are pruned.</param>
    /// <param name="retention">How long backups are kept (<see cref="BackupPolicy.Retention"/>).</param>
    /// <param name="time">The clock.</param>
    /// <exception cref="IOException">A file could not be deleted; the ones before it are gone.</exception>
    /// <exception cref="UnauthorizedAccessException">A file could not be deleted for lack of permission.</exception>
    public static IReadOnlyList<string> Prune(string directory, string environment, Duration retention, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(time);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var names = Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().ToList();
        var deleted = new List<string>();
        foreach (var backup in SelectExpired(names, environment, retention, time.GetUtcNow()))
        {
            File.Delete(Path.Combine(directory, backup.FileName));
            deleted.Add(backup.FileName);
        }

        return deleted;
    }
}
