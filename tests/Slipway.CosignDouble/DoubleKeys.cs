using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.CosignDouble;

/// <summary>
/// The double's "keys": a random token sealed with the password (PBKDF2, so a wrong password is detected the way
/// cosign's decryption fails), and a public key that carries only the token's fingerprint. The fingerprint is
/// what signatures record and verification compares; nothing here is real cryptographic signing.
/// </summary>
internal static class DoubleKeys
{
    public const string PrivateKeyFile = "cosign.key";
    public const string PublicKeyFile = "cosign.pub";
    private const string PrivateLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    private const string PublicLabel = "PUBLIC KEY";
    private const string Marker = "slipway-cosign-double";
    private const int Iterations = 10_000;

    public static void Generate(string directory, string password, TextWriter stderr)
    {
        foreach (var file in new[] { PrivateKeyFile, PublicKeyFile })
        {
            if (File.Exists(Path.Combine(directory, file)))
            {
                // cosign asks before overwriting; the double has no one to ask.
                throw new DoubleFailure($"File {file} already exists. Overwrite? (the double never overwrites: remove it first)");
            }
        }

        var token = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(16);
        var derived = Derive(password, salt);
        var sealedToken = Xor(token, derived[..32]);
        var privateKey = new JsonObject
        {
            ["double"] = Marker,
            ["salt"] = Convert.ToBase64String(salt),
            ["sealed"] = Convert.ToBase64String(sealedToken),
            ["check"] = Convert.ToBase64String(derived[32..]),
        };
        File.WriteAllText(Path.Combine(directory, PrivateKeyFile), Pem(PrivateLabel, privateKey));
        File.WriteAllText(Path.Combine(directory, PublicKeyFile), Pem(PublicLabel, new JsonObject { ["double"] = Marker, ["fingerprint"] = Fingerprint(token) }));
        stderr.WriteLine($"Private key written to {PrivateKeyFile}");
        stderr.WriteLine($"Public key written to {PublicKeyFile}");
    }

    /// <summary>The fingerprint of the private key <paramref name="reference"/> points at, unsealed with the password.</summary>
    public static string PrivateFingerprint(string reference, string? password, Func<string, string?> environment)
    {
        var key = Read(reference, PrivateLabel, environment);
        var derived = Derive(password ?? string.Empty, Convert.FromBase64String(Field(key, "salt")));
        if (!CryptographicOperations.FixedTimeEquals(derived.AsSpan(32), Convert.FromBase64String(Field(key, "check"))))
        {
            throw new DoubleFailure("getting signer: reading key: decrypt: encrypted: decryption failed");
        }

        return Fingerprint(Xor(Convert.FromBase64String(Field(key, "sealed")), derived[..32]));
    }

    public static string PublicFingerprint(string reference, Func<string, string?> environment) =>
        Field(Read(reference, PublicLabel, environment), "fingerprint");

    private static JsonObject Read(string reference, string label, Func<string, string?> environment)
    {
        string pem;
        if (reference.StartsWith("env://", StringComparison.Ordinal))
        {
            pem = environment(reference["env://".Length..]) ?? throw new DoubleFailure($"loading key: environment variable {reference["env://".Length..]} is not set");
        }
        else if (reference.Contains("://", StringComparison.Ordinal))
        {
            throw new DoubleFailure($"the double supports key files and env:// keys, not KMS keys ({reference})");
        }
        else
        {
            pem = File.Exists(reference) ? File.ReadAllText(reference) : throw new DoubleFailure($"loading key: open {reference}: no such file or directory");
        }

        var begin = $"-----BEGIN {label}-----";
        var end = $"-----END {label}-----";
        var start = pem.IndexOf(begin, StringComparison.Ordinal);
        var stop = pem.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start)
        {
            throw new DoubleFailure(label == PublicLabel ? $"loading public key: {reference} is not a public key (PEM type is not \"{label}\")" : $"reading key: {reference} is not an encrypted cosign private key");
        }

        var body = pem[(start + begin.Length)..stop];
        var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(body.Trim()))) as JsonObject;
        return json is not null && (string?)json["double"] == Marker
            ? json
            : throw new DoubleFailure($"reading key: {reference} was not made by this double's generate-key-pair");
    }

    private static string Field(JsonObject key, string name) => (string?)key[name] ?? throw new DoubleFailure($"reading key: no {name}");

    private static byte[] Derive(string password, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 64);

    private static byte[] Xor(byte[] data, byte[] pad) => [.. data.Select((b, i) => (byte)(b ^ pad[i]))];

    private static string Fingerprint(byte[] token) => Convert.ToHexStringLower(SHA256.HashData(token));

    private static string Pem(string label, JsonObject content)
    {
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(content.ToJsonString()));
        var lines = Enumerable.Range(0, (base64.Length + 63) / 64).Select(i => base64.Substring(i * 64, Math.Min(64, base64.Length - (i * 64))));
        return $"-----BEGIN {label}-----\n{string.Join('\n', lines)}\n-----END {label}-----\n";
    }
}
