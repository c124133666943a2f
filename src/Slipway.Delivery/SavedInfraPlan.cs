using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// The record written beside a saved Terraform plan (<c>plan.json</c> next to <c>plan.tfplan</c>): which commit and
/// stack it was made from and the plan file's hash, so an apply can insist on exactly the plan that was reviewed, for
/// the code that is checked out. A plan refused at plan time (it destroys, and the environment does not allow it)
/// keeps its record with the addresses, and no plan file.
/// </summary>
/// <param name="Environment">The environment the plan is for.</param>
/// <param name="Stack">The stack directory, relative to the repository root.</param>
/// <param name="Commit">The git commit (HEAD) the plan was made from.</param>
/// <param name="PlanSha256">The plan file's SHA-256 as <c>sha256:HEX</c>; null when the plan was refused and removed.</param>
/// <param name="Created">When the plan was made.</param>
/// <param name="RefusedDestroying">The addresses the plan would delete or replace, when it was refused for that; else empty.</param>
public sealed record SavedInfraPlan(string Environment, string Stack, string Commit, string? PlanSha256, DateTimeOffset Created, IReadOnlyList<string> RefusedDestroying)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>True when InfraPlan refused this plan; such a record has no usable plan file.</summary>
    [JsonIgnore]
    public bool IsRefused => RefusedDestroying.Count > 0;

    /// <summary>The SHA-256 of <paramref name="planFile"/> as <c>sha256:HEX</c> (lower case).</summary>
    public static string HashOf(string planFile)
    {
        using var stream = File.OpenRead(planFile);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Writes the record as indented JSON, through a temporary file so a reader never sees half of it.</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{System.Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a record written by <see cref="Write"/>, or null when there is none.</summary>
    /// <exception cref="InvalidOperationException">The file exists but is not such a record; the message says to plan again.</exception>
    public static SavedInfraPlan? ReadOrNull(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (InputFile.KindOf(path) == FileKind.Missing && new FileInfo(path).LinkTarget is null)
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize<SavedInfraPlan>(InputFile.ReadText(path, path, RecordedValue.MaxManifestBytes), Options);
            return record is { Environment.Length: > 0, Stack.Length: > 0, Commit.Length: > 0, RefusedDestroying: not null }
                ? Problem(record) is { } problem ? throw new JsonException(problem) : record
                : throw new JsonException("a required field is missing or empty");
        }
        catch (Exception ex) when (ex is JsonException or InputFileException)
        {
            var reason = ex is InputFileException refused ? refused.Reason : JsonReason(ex.Message);
            throw new RefusedStateException(path, $"{path} is not a saved-plan record ({PrintableText.Escape(reason)}): run InfraPlan again.", ex);
        }
    }

    /// <summary>Why a record read back cannot be trusted, or null: its stack is a directory Terraform runs in, its hash is compared.</summary>
    private static string? Problem(SavedInfraPlan record) =>
        !ResourceName.IsValid(record.Environment) ? "its environment is not an environment name"
        : ContainedPath.LexicalProblem(record.Stack) is { } outside ? $"its stack is {outside}"
        : !record.Commit.All(char.IsAsciiHexDigit) ? "its commit is not a commit id"
        : record.PlanSha256 is { } hash && !RecordedValue.IsSha256Digest(hash)
            ? "its planSha256 is not sha256: and 64 lowercase hex digits"
        : null;

    /// <summary>System.Text.Json's reason without its "Path: … | LineNumber: …" tail.</summary>
    private static string JsonReason(string message)
    {
        var tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return tail > 0 ? message[..tail] : message;
    }
}
