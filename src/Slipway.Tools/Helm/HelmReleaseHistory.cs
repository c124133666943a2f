using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Tools.Helm;

/// <summary>The status of one revision of a Helm release, as <c>helm history -o json</c> spells it.</summary>
public enum HelmReleaseStatus
{
    /// <summary>A status this wrapper does not know (a newer Helm's); never a rollback target.</summary>
    Unknown,

    /// <summary><c>deployed</c>: the revision running now.</summary>
    Deployed,

    /// <summary><c>superseded</c>: ran successfully, replaced by a later revision.</summary>
    Superseded,

    /// <summary><c>failed</c>: the install, upgrade or rollback of this revision failed.</summary>
    Failed,

    /// <summary><c>pending-install</c>: an install is in progress (or was killed).</summary>
    PendingInstall,

    /// <summary><c>pending-upgrade</c>: an upgrade is in progress (or was killed).</summary>
    PendingUpgrade,

    /// <summary><c>pending-rollback</c>: a rollback is in progress (or was killed).</summary>
    PendingRollback,

    /// <summary><c>uninstalling</c>.</summary>
    Uninstalling,

    /// <summary><c>uninstalled</c> (kept with <c>--keep-history</c>).</summary>
    Uninstalled,
}

/// <summary>One revision of a Helm release: a row of <c>helm history RELEASE -o json</c>.</summary>
/// <param name="Revision">The revision number, from 1.</param>
/// <param name="Updated">When it was last updated.</param>
/// <param name="Status">Its status.</param>
/// <param name="Chart">The chart and its version, <c>app-0.1.0</c>.</param>
/// <param name="AppVersion">The chart's appVersion.</param>
/// <param name="Description">Helm's description: <c>Install complete</c>, <c>Upgrade complete</c>, <c>Rollback to 2</c>…</param>
public sealed record HelmRevision(int Revision, DateTimeOffset Updated, HelmReleaseStatus Status, string Chart, string AppVersion, string Description)
{
    /// <summary>True when the revision once ran successfully (deployed now or superseded later): a safe rollback target.</summary>
    public bool RanSuccessfully => Status is HelmReleaseStatus.Deployed or HelmReleaseStatus.Superseded;

    /// <summary>The status as Helm spells it: <c>pending-upgrade</c>.</summary>
    public static string Spell(HelmReleaseStatus status) => status switch
    {
        HelmReleaseStatus.PendingInstall => "pending-install",
        HelmReleaseStatus.PendingUpgrade => "pending-upgrade",
        HelmReleaseStatus.PendingRollback => "pending-rollback",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Reads a status as Helm spells it; <see cref="HelmReleaseStatus.Unknown"/> for anything else.</summary>
    public static HelmReleaseStatus ParseStatus(string? text) =>
        Enum.GetValues<HelmReleaseStatus>().FirstOrDefault(s => s != HelmReleaseStatus.Unknown && Spell(s) == text);
}

/// <summary>The revisions of a Helm release, oldest first, read from <c>helm history RELEASE -o json</c>.</summary>
public sealed class HelmReleaseHistory
{
    private HelmReleaseHistory(IReadOnlyList<HelmRevision> revisions) => Revisions = revisions;

    /// <summary>Every revision Helm kept (at most <c>--history-max</c>), oldest first.</summary>
    public IReadOnlyList<HelmRevision> Revisions { get; }

    /// <summary>The revision running now: the newest <c>deployed</c> one; null when none is (never installed, or failed).</summary>
    public HelmRevision? Current => Revisions.LastOrDefault(r => r.Status == HelmReleaseStatus.Deployed);

    /// <summary>The newest revision, whatever its status.</summary>
    public HelmRevision? Latest => Revisions.Count == 0 ? null : Revisions[^1];

    /// <summary>An empty history: what a release that does not exist has.</summary>
    public static HelmReleaseHistory Empty { get; } = new([]);

    /// <summary>The revision numbered <paramref name="revision"/>, or null when Helm no longer keeps it.</summary>
    public HelmRevision? Find(int revision) => Revisions.FirstOrDefault(r => r.Revision == revision);

    /// <summary>
    /// Parses the JSON array <c>helm history -o json</c> prints. Sorted by revision, whatever order Helm printed.
    /// </summary>
    /// <exception cref="FormatException">Not a JSON array of revisions; the message quotes the start of the text.</exception>
    public static HelmReleaseHistory Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        List<Row>? rows;
        try
        {
            rows = JsonSerializer.Deserialize<List<Row>>(json.Trim() is { Length: > 0 } text ? text : "[]");
        }
        catch (JsonException e)
        {
            throw new FormatException($"'helm history -o json' printed something that is not its JSON array ({e.Message}): '{Start(json)}'", e);
        }

        if (rows is null || rows.Any(r => r is null || r.Revision is null or < 1))
        {
            throw new FormatException($"'helm history -o json' printed a row without a revision number: '{Start(json)}'");
        }

        return new([.. rows.Select(r => new HelmRevision(
                r.Revision!.Value,
                ParseTime(r.Updated),
                HelmRevision.ParseStatus(r.Status),
                r.Chart ?? string.Empty,
                r.AppVersion ?? string.Empty,
                r.Description ?? string.Empty))
            .OrderBy(r => r.Revision)]);
    }

    private static DateTimeOffset ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.MinValue;

    private static string Start(string text) => text.Length <= 120 ? text.Trim() : text[..120].Trim() + "…";

    private sealed record Row(
        [property: JsonPropertyName("revision")] int? Revision,
        [property: JsonPropertyName("updated")] string? Updated,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("chart")] string? Chart,
        [property: JsonPropertyName("app_version")] string? AppVersion,
        [property: JsonPropertyName("description")] string? Description);
}
