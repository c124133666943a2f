using System.Security.Cryptography;
using System.Text.Json;
using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// What an incremental step recorded when it last succeeded (a small JSON file under <c>.slipway/</c>), so an unchanged
/// step is skipped. The file is hostile input like any other: one that is not a regular file, too large, or not a record
/// Slipway wrote means "run the step again" with a warning naming it, never a crash and never a skip.
/// </summary>
internal static class StepRecord
{
    private const long MaxBytes = 64 << 10;

    private static readonly JsonSerializerOptions Options = new() { RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true };

    /// <summary>The record at <paramref name="path"/>, or null when there is none or it cannot be trusted (then <paramref name="warn"/> says why).</summary>
    public static T? Read<T>(string path, string displayPath, Action<string> warn)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(warn);
        if (InputFile.KindOf(path) == FileKind.Missing)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(InputFile.ReadText(path, displayPath, MaxBytes), Options)
                ?? throw new JsonException("it holds null");
        }
        catch (Exception ex) when (ex is JsonException or InputFileException or NotSupportedException or ArgumentException)
        {
            warn($"{displayPath} is not a record Slipway wrote ({PrintableMessage(ex)}): the step runs again and rewrites it.");
            return null;
        }
    }

    /// <summary>
    /// Writes <paramref name="record"/>: a run killed mid-write leaves the old record or none, never half of one. A record
    /// that cannot be written (its path is a directory, the disk is full) fails nothing: <paramref name="warn"/> says the
    /// step will run again next time.
    /// </summary>
    public static void Write<T>(string path, string displayPath, T record, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(temporary, JsonSerializer.Serialize(record));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warn($"{displayPath} could not be written ({PrintableMessage(ex)}): the step runs again next time.");
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Removes the record: what it said is no longer true.</summary>
    public static void Forget(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>SHA-256 of a file's bytes (hex), or null when it is not a regular file that can be read.</summary>
    public static string? FileHash(string path)
    {
        if (InputFile.KindOf(path) != FileKind.Regular)
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string PrintableMessage(Exception ex) => Processes.PrintableText.Escape(ex.Message.ReplaceLineEndings(" "));
}
