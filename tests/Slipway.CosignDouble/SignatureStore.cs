using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.CosignDouble;

/// <summary>
/// One signature or attestation as the double records it: who signed (a key fingerprint, or a keyless identity
/// and issuer), whether it went to the (simulated) transparency log, and for attestations the predicate.
/// </summary>
internal sealed record StoredSignature(string? Fingerprint, string? Identity, string? Issuer, bool InTransparencyLog, string? PredicateType = null, JsonNode? Predicate = null);

/// <summary>What the registry would hold beside one image digest.</summary>
internal sealed record StoredDigest(IReadOnlyList<StoredSignature> Signatures, IReadOnlyList<StoredSignature> Attestations)
{
    public static StoredDigest Empty { get; } = new([], []);
}

/// <summary>
/// The double's stand-in for signatures stored in the registry: one JSON file per repository and digest under
/// COSIGN_DOUBLE_STATE, so separate processes (sign, then verify) share it and a test can start from empty.
/// </summary>
internal sealed class SignatureStore(string root)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public StoredDigest Load(DoubleImageReference image, string digest)
    {
        var path = PathOf(image, digest);
        return File.Exists(path) ? JsonSerializer.Deserialize<StoredDigest>(File.ReadAllText(path), Json) ?? StoredDigest.Empty : StoredDigest.Empty;
    }

    public void Save(DoubleImageReference image, string digest, StoredDigest stored)
    {
        var path = PathOf(image, digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write then rename, so a concurrent verify never reads half a file.
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(stored, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(DoubleImageReference image, string digest) =>
        Path.Combine(root, Safe(image.Registry), Safe(image.Repository), digest.Replace(':', '-') + ".json");

    private static string Safe(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]);
}
