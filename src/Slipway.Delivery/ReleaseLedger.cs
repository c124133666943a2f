using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Delivery.State;
using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// The history of one environment: append-only JSON lines, one <see cref="LedgerEntry"/> per line, oldest first, kept in
/// an <see cref="ILedgerStore"/> (a file in the state directory, a volume on the Docker host, a ConfigMap in the cluster).
/// Entries are never rewritten or removed, so the ledger is also the audit trail for rollbacks.
/// </summary>
/// <remarks>
/// Order is the order lines were appended, not <see cref="LedgerEntry.When"/>: runs on different hosts may have
/// skewed clocks, but the file records what each writer saw as the latest state when it wrote.
/// </remarks>
public sealed class ReleaseLedger
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },

        // Unknown fields are ignored, unlike release.json: a ledger outlives tool versions, and an older Slipway must
        // still read history that a newer one appended.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ILedgerStore _store;

    private ReleaseLedger(ILedgerStore store) => _store = store;

    /// <summary>Where the ledger is: the ledger file, or the volume or ConfigMap that keeps it with the environment.</summary>
    public string Path => _store.Location;

    /// <summary>
    /// Opens the ledger at <paramref name="path"/>. Nothing is created until the first <see cref="Append"/> (which creates
    /// the directory and the file), so reading a history — <c>History</c>, a dry run — leaves no trace; a missing file
    /// reads as an empty history.
    /// </summary>
    public static ReleaseLedger Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new ReleaseLedger(new FileLedgerStore(path));
    }

    /// <summary>The ledger kept in <paramref name="store"/>.</summary>
    public static ReleaseLedger On(ILedgerStore store) => new(store ?? throw new ArgumentNullException(nameof(store)));

    /// <summary>
    /// Appends <paramref name="entry"/> as one line and syncs it to disk before returning, so a recorded deploy
    /// survives a crash of the machine. Safe to call from several threads and processes at once: each line is a
    /// single append, so lines never interleave. After a crash that tore the last line, the fragment is closed with a
    /// newline first so it cannot corrupt this entry (<see cref="ReadAll"/> reports it).
    /// </summary>
    /// <exception cref="ArgumentException">A required field is empty, or <c>RolledBackTo</c> does not fit the action.</exception>
    /// <exception cref="IOException">The line could not be written; the entry is not recorded.</exception>
    public void Append(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _store.AppendLines(Line(entry));
    }

    /// <summary>Appends <paramref name="entries"/>, in order, in one write: a ledger moved from elsewhere arrives whole or not at all.</summary>
    internal void AppendAll(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count > 0)
        {
            _store.AppendLines([.. entries.SelectMany(Line)]);
        }
    }

    private static byte[] Line(LedgerEntry entry)
    {
        Validate(entry);

        // Images sorted so two entries for the same release produce the same text regardless of push order.
        var stored = entry with { Images = new SortedDictionary<string, string>(entry.Images.ToDictionary(), StringComparer.Ordinal) };
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(stored, Options) + "\n");
    }

    /// <summary>
    /// Reads every entry, oldest first. Lines that are not entries (a torn last line after a crash, or the fragment
    /// such a crash left mid-file) are skipped and reported in <see cref="LedgerReadResult.Warnings"/>; this never
    /// throws for them.
    /// </summary>
    /// <exception cref="IOException">
    /// The ledger exists but cannot be read; a ledger file that is not a regular file of at most 64 MiB (<see cref="InputFileException"/>).
    /// </exception>
    public LedgerReadResult ReadAll()
    {
        if (_store.ReadText() is not { } text)
        {
            return new([], []);
        }

        var entries = new List<LedgerEntry>();
        var warnings = new List<string>();
        var lines = text.Split('\n');

        // Split leaves the text after the last newline as the final element: empty for a healthy file.
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var isLast = i == lines.Length - 1;
            var entry = Parse(line);
            if (entry is not null && !isLast && Problem(entry) is { } problem)
            {
                warnings.Add($"{Path}:{i + 1}: not a valid ledger entry ({problem}); it was skipped.");
            }
            else if (entry is not null && !isLast)
            {
                entries.Add(entry);
            }
            else if (isLast)
            {
                // Even if the text happens to parse, a line without its newline was not finished: a crash cut it
                // short, or (rarely) an append was still being copied in while we read.
                warnings.Add($"{Path}:{i + 1}: the last line is incomplete ({line.Length} characters, no newline), most likely a write cut short by a crash; it was skipped. The entries before it are intact.");
            }
            else
            {
                warnings.Add($"{Path}:{i + 1}: not a ledger entry (probably the remains of an interrupted write); it was skipped.");
            }
        }

        return new(entries, warnings);
    }

    /// <summary>
    /// The release to roll back to: the latest <see cref="LedgerAction.Deployed"/> or <see cref="LedgerAction.Promoted"/>
    /// entry (in append order) such that no entry after it, for the same revision, is <see cref="LedgerAction.Failed"/> or
    /// <see cref="LedgerAction.RolledBack"/>. Null when there is none.
    /// </summary>
    /// <remarks>
    /// A revision is the images plus the rendered configuration (<see cref="ReleaseRevision"/>): a failed deploy of 1.2
    /// with one variable changed condemns that revision only, and 1.2 as it ran before stays good. Entries from before
    /// revisions existed are told apart by version. "After it" makes a redeploy count: deployed, failed, then deployed
    /// again successfully is good again, because the last Deployed comes after the Failed. <see cref="LedgerAction.Aborted"/>
    /// changes nothing. A <see cref="LedgerAction.RolledBack"/> entry condemns the revision rolled back from and vouches
    /// for its target (which passed its probes again), unless that target is condemned by a later entry; the entry
    /// returned is then the target's own latest Deployed or Promoted one, which carries its images.
    /// Unreadable lines are ignored, as in <see cref="ReadAll"/>.
    /// </remarks>
    public LedgerEntry? LastGood() => LastGoodWhere(_ => true);

    /// <summary>
    /// The newest good release whose version is not <paramref name="version"/> (any version when null). Null when there is none.
    /// </summary>
    public LedgerEntry? LastGoodExcept(string? version) => LastGoodWhere(e => e.Version != version);

    /// <summary>
    /// The newest good revision other than <paramref name="running"/>'s: where a rollback without <c>--to</c> goes, and
    /// where a failed deploy returns to (the same version with its previous configuration counts). Any good revision
    /// when <paramref name="running"/> is null; null when there is none.
    /// </summary>
    public LedgerEntry? LastGoodOtherThan(LedgerEntry? running) =>
        running is null ? LastGood() : LastGoodOtherThan(running.Version, running.RevisionId);

    /// <summary>
    /// The newest good revision other than <paramref name="revisionId"/> (other than <paramref name="version"/> as entries
    /// from before revisions recorded it, when <paramref name="revisionId"/> is null). Null when there is none.
    /// </summary>
    public LedgerEntry? LastGoodOtherThan(string version, string? revisionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var running = LedgerEntry.KeyOf(version, revisionId);
        return LastGoodWhere(e => e.RevisionKey != running);
    }

    /// <summary>The latest good (Deployed or Promoted) entry of the revision <paramref name="revisionId"/>; null when it never ran well.</summary>
    public LedgerEntry? FindRevision(string revisionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(revisionId);
        return ReadAll().Entries.LastOrDefault(e => e.RevisionId == revisionId && e.Action is LedgerAction.Deployed or LedgerAction.Promoted);
    }

    private LedgerEntry? LastGoodWhere(Func<LedgerEntry, bool> candidate)
    {
        var entries = ReadAll().Entries;
        var condemned = new HashSet<string>(StringComparer.Ordinal);

        // Walking newest first, a Failed/RolledBack seen so far is "later" than every candidate still to come.
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var entry = entries[i];
            switch (entry.Action)
            {
                case LedgerAction.Failed:
                    condemned.Add(entry.RevisionKey);
                    break;
                case LedgerAction.RolledBack:
                    if (entry.RolledBackToKey is { } target && !condemned.Contains(target) &&
                        entries.Take(i).LastOrDefault(e => e.RevisionKey == target && e.Action is LedgerAction.Deployed or LedgerAction.Promoted) is { } good &&
                        candidate(good))
                    {
                        return good;
                    }

                    condemned.Add(entry.RevisionKey);
                    break;
                case LedgerAction.Deployed or LedgerAction.Promoted when !condemned.Contains(entry.RevisionKey) && candidate(entry):
                    return entry;
                default:
                    break;
            }
        }

        return null;
    }

    /// <summary>Every entry for <paramref name="version"/> (compared exactly), oldest first; empty when there is none.</summary>
    public IReadOnlyList<LedgerEntry> Find(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        return [.. ReadAll().Entries.Where(e => string.Equals(e.Version, version, StringComparison.Ordinal))];
    }

    private static LedgerEntry? Parse(string line)
    {
        try
        {
            var entry = JsonSerializer.Deserialize<LedgerEntry>(line, Options);

            // Deserialization does not enforce non-nullable reference properties; a fragment such as "{}" is not an entry.
            return entry is { Environment: not null, Version: not null, Commit: not null, Who: not null, Images: not null, Details: not null } ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why an entry read back cannot be used, or null. Its version becomes a file name and its images tool arguments
    /// when a rollback returns to it, so a hand-edited line must not smuggle in a path or an option.
    /// </summary>
    private static string? Problem(LedgerEntry entry)
    {
        if (!RecordedValue.IsVersion(entry.Version))
        {
            return "its version is not " + RecordedValue.VersionRule;
        }

        if (entry.RolledBackTo is { } to && !RecordedValue.IsVersion(to))
        {
            return "its rolledBackTo is not " + RecordedValue.VersionRule;
        }

        // A revision names the override file a rollback reuses.
        if (entry.RevisionId is { } revision && !ReleaseRevision.IsId(revision) || entry.RolledBackToRevision is { } back && !ReleaseRevision.IsId(back))
        {
            return "its revision is not " + ReleaseRevision.IdRule;
        }

        foreach (var (service, reference) in entry.Images)
        {
            if (!RecordedValue.IsService(service) || !RecordedValue.IsImageReference(reference))
            {
                return "an image is not a service name with an image reference";
            }
        }

        return null;
    }

    private static void Validate(LedgerEntry entry)
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { ("environment", entry.Environment), ("version", entry.Version), ("commit", entry.Commit), ("who", entry.Who) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{name} is missing");
            }
        }

        if (entry.Images is null)
        {
            problems.Add("images is null (use an empty map when nothing was deployed)");
        }

        if (entry.Details is null)
        {
            problems.Add("details is null (use an empty string)");
        }

        if (entry.Action == LedgerAction.RolledBack && string.IsNullOrWhiteSpace(entry.RolledBackTo))
        {
            problems.Add("a RolledBack entry needs rolledBackTo, the version now running");
        }
        else if (entry.Action != LedgerAction.RolledBack && entry.RolledBackTo is not null)
        {
            problems.Add($"rolledBackTo is only for RolledBack entries, not {entry.Action}");
        }

        if (entry.RevisionId is { } revision && !ReleaseRevision.IsId(revision))
        {
            problems.Add($"revisionId is not {ReleaseRevision.IdRule}");
        }

        if (entry.RolledBackToRevision is not null && (entry.Action != LedgerAction.RolledBack || !ReleaseRevision.IsId(entry.RolledBackToRevision)))
        {
            problems.Add($"rolledBackToRevision is only for RolledBack entries and is {ReleaseRevision.IdRule}");
        }

        if (entry.RestoredBackup is not null && (entry.Action != LedgerAction.RolledBack || !Backups.BackupFileName.TryParse(entry.RestoredBackup, out _)))
        {
            problems.Add("restoredBackup is only for RolledBack entries and is a backup file name");
        }

        if (entry.Migrations?.Any(m => m is null || string.IsNullOrWhiteSpace(m.Id)) == true)
        {
            problems.Add("migrations has an entry without an id");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Refusing to append an invalid ledger entry: {string.Join("; ", problems)}.", nameof(entry));
        }
    }
}
