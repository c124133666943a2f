using System.Text;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// What a deploy ran, exactly: the image digests plus a hash of the rendered configuration (the Compose override or the
/// chart values, which name secrets but never hold their values) plus a hash of each secret's value. Two deploys of
/// the same version with one variable changed, or with a rotated secret, are two revisions; the same everything is the
/// same revision. The ledger records it, and a rollback returns to a revision, not to a version.
/// </summary>
/// <param name="Id">The revision: 12 lowercase hexadecimal digits of a SHA-256 over the images and <paramref name="ConfigurationHash"/>.</param>
/// <param name="ConfigurationHash">
/// SHA-256 (hex) of the rendered configuration and the secrets' value hashes: tells a configuration change from an image
/// change in the history. A secret's value cannot be recovered from it.
/// </param>
public sealed record ReleaseRevision(string Id, string ConfigurationHash)
{
    /// <summary>How many hexadecimal digits a revision has: enough to never collide within one environment's history.</summary>
    public const int IdLength = 12;

    /// <summary>What a revision must look like, for messages.</summary>
    public const string IdRule = "12 lowercase hexadecimal digits";

    /// <summary>
    /// The revision of a deploy of <paramref name="images"/> with <paramref name="configuration"/> (secret values left
    /// out: the text names them) and <paramref name="secrets"/> (hashed one by one, by name, so a rotated secret changes
    /// the revision without its value ever being written anywhere).
    /// </summary>
    public static ReleaseRevision Of(IReadOnlyDictionary<string, string> images, string configuration, IEnumerable<KeyValuePair<string, Secret>> secrets)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(secrets);

        // Length-prefixed fields: no choice of names and values can make two different inputs read as the same text.
        var config = new StringBuilder();
        Field(config, "configuration", configuration);
        foreach (var (name, secret) in secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            Field(config, "secret " + name, ContentHash.Hex(secret.Reveal()));
        }

        var configurationHash = ContentHash.Hex(config.ToString());
        var identity = new StringBuilder();
        foreach (var (service, image) in images.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            Field(identity, "image " + service, image);
        }

        Field(identity, "configuration", configurationHash);
        return new ReleaseRevision(ContentHash.Hex(identity.ToString())[..IdLength], configurationHash);
    }

    /// <summary>True when <paramref name="value"/> looks like a revision <see cref="Id"/> (so it is safe in a file name).</summary>
    public static bool IsId(string? value) =>
        value is { Length: IdLength } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static void Field(StringBuilder text, string name, string value) =>
        text.Append(name.Length).Append(':').Append(name).Append('=').Append(value.Length).Append(':').Append(value).Append('\n');
}
