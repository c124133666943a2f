using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Environments;

namespace Slipway.Delivery.Canary;

/// <summary>Where a canary is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CanaryPhase>))]
public enum CanaryPhase
{
    /// <summary>Backup, migrations and the canary's containers are being started; it has no traffic yet.</summary>
    Starting,

    /// <summary>The steps are being walked: traffic is split and measured.</summary>
    Analysing,

    /// <summary>The canary's release is becoming the stable one.</summary>
    Promoting,

    /// <summary>The canary is being removed; the stable release serves everything.</summary>
    Aborting,
}

/// <summary>
/// <c>&lt;state&gt;/canary.json</c>: the canary in progress, written after every change, so a run that was killed can be
/// resumed (or aborted) by the next one, and <c>Promote</c>/<c>Abort</c> know what they act on. Gone when the canary ends.
/// </summary>
/// <param name="Release">The canary's release.</param>
/// <param name="Stable">The version serving the rest of the traffic.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="Step">The step being walked (0-based); meaningful while analysing.</param>
/// <param name="StepElapsed">How much of that step's duration has been analysed already.</param>
/// <param name="Analyses">Analyses run so far.</param>
/// <param name="Failures">Failed analyses so far.</param>
/// <param name="Weight">The canary's current share of traffic, in percent.</param>
/// <param name="Owner">The run driving it: <c>user@host pid N</c>.</param>
/// <param name="Updated">When the file was last written.</param>
public sealed record CanaryState(
    CanaryRelease Release,
    string Stable,
    CanaryPhase Phase,
    int Step,
    TimeSpan StepElapsed,
    int Analyses,
    int Failures,
    int Weight,
    string Owner,
    DateTimeOffset Updated)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The file's name inside the environment's state directory.</summary>
    public const string FileName = "canary.json";

    /// <summary>The manual decision a <c>Promote</c> or <c>Abort</c> run leaves for the running canary.</summary>
    public const string RequestFileName = "canary.request";

    /// <summary>Reads the state in <paramref name="directory"/>; null when no canary is in progress.</summary>
    /// <exception cref="InvalidOperationException">The file exists but cannot be read; the message names it.</exception>
    public static CanaryState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (InputFile.KindOf(path) == FileKind.Missing && new FileInfo(path).LinkTarget is null)
        {
            return null;
        }

        try
        {
            var state = JsonSerializer.Deserialize<CanaryState>(InputFile.ReadText(path, path, RecordedValue.MaxManifestBytes), Options)
                ?? throw new JsonException("the file is empty");
            return Problem(state) is { } problem
                ? throw new JsonException(problem)
                : state with { Owner = Processes.PrintableText.Escape(state.Owner ?? "unknown") };
        }
        catch (Exception e) when (e is JsonException or InputFileException)
        {
            throw new RefusedStateException(
                path,
                $"{path} (the canary in progress) cannot be read: {Processes.PrintableText.Escape(e is InputFileException refused ? refused.Reason : e.Message)}. Look at the proxy's weights and containers, then delete the file and run Abort.", e);
        }
    }

    /// <summary>Why a state read back cannot be acted on, or null: a resumed canary sets weights, waits and deploys from it.</summary>
    private static string? Problem(CanaryState state)
    {
        if (state.Release is null || !RecordedValue.IsVersion(state.Release.Version) || state.Release.Images is null
            || state.Release.Images.Any(i => !RecordedValue.IsService(i.Key) || !RecordedValue.IsImageReference(i.Value)))
        {
            return "its release is not a version with image references";
        }

        if (!RecordedValue.IsVersion(state.Stable))
        {
            return "its stable version is not " + RecordedValue.VersionRule;
        }

        return state.Step is < 0 or > 1000 || state.Weight is < 0 or > 100 || state.Analyses < 0 || state.Failures < 0
            || state.StepElapsed < TimeSpan.Zero || state.StepElapsed > Duration.MaxValue
            ? "a step, weight, count or time is out of range"
            : null;
    }

    /// <summary>Writes the state (to a temporary file, then moved), so a reader never sees half a file.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Removes the state (the canary ended) and any decision left for it.</summary>
    public static void Clear(string directory)
    {
        File.Delete(Path.Combine(directory, FileName));
        File.Delete(Path.Combine(directory, RequestFileName));
    }
}

/// <summary>A manual decision for a running canary.</summary>
public enum CanaryDecision
{
    /// <summary>Skip the remaining steps and promote now.</summary>
    Promote,

    /// <summary>Abort now: weight 0, canary removed, stable untouched.</summary>
    Abort,
}

/// <summary>
/// <c>&lt;state&gt;/canary.request</c>: a decision a <c>Promote</c> or <c>Abort</c> run leaves for the canary run that holds the
/// environment's lock; that run acts on it within a second and removes it.
/// </summary>
internal static class CanaryRequest
{
    /// <summary>Leaves <paramref name="decision"/> by <paramref name="who"/> for the running canary.</summary>
    public static void Leave(string directory, CanaryDecision decision, string who)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, CanaryState.RequestFileName);
        var temporary = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, $"{decision.ToString().ToLowerInvariant()} {who}\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Takes the decision left in <paramref name="directory"/>, if any (removing it), with who left it.</summary>
    public static (CanaryDecision Decision, string Who)? Take(string directory)
    {
        var path = Path.Combine(directory, CanaryState.RequestFileName);
        var kind = InputFile.KindOf(path);
        if (kind == FileKind.Missing)
        {
            return null;
        }

        string text;
        try
        {
            text = kind == FileKind.Regular ? InputFile.ReadText(path, path, RecordedValue.MaxSmallFileBytes).Trim() : string.Empty;
        }
        catch (InputFileException)
        {
            // Not a decision Promote or Abort left: ignored, and removed below so it is not read again every second.
            text = string.Empty;
        }

        if (kind == FileKind.Regular)
        {
            File.Delete(path);
        }

        var parts = text.Split(' ', 2, StringSplitOptions.TrimEntries);
        return Enum.TryParse<CanaryDecision>(parts[0], ignoreCase: true, out var decision) && Enum.IsDefined(decision)
            ? (decision, parts.Length > 1 ? Processes.PrintableText.Escape(parts[1]) : "someone")
            : null;
    }
}
