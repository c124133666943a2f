using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// What the values Slipway records and reads back (release.json, the ledger, the canary state) may look like. They are
/// checked on the way in because they become file names (<c>releases/&lt;version&gt;.compose.yml</c>), tool arguments
/// (an image reference for cosign) and variables: a version <c>../../x</c> or a reference <c>--key=…</c> in an edited
/// file must be refused, not used.
/// </summary>
internal static class RecordedValue
{
    /// <summary>The bounds of the files that hold them.</summary>
    public const int MaxManifestBytes = 1 << 20;

    /// <summary>A ledger grows by a line per deploy and per canary analysis; this is many years of them.</summary>
    public const int MaxLedgerBytes = 64 << 20;

    /// <summary>A lock or a decision file is a few hundred bytes.</summary>
    public const int MaxSmallFileBytes = 64 << 10;

    /// <summary>
    /// A version as releases name it: SemVer text or a tag, 1 to 128 of letters, digits, <c>.</c>, <c>_</c>, <c>+</c>
    /// and <c>-</c>, starting with a letter or digit and without <c>..</c>, so it is safe in a file name.
    /// </summary>
    public static bool IsVersion(string? value) =>
        value is { Length: > 0 and <= 128 } && char.IsAsciiLetterOrDigit(value[0]) && !value.Contains("..", StringComparison.Ordinal)
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-');

    /// <summary>What a version must look like, for messages.</summary>
    public const string VersionRule = "a version of letters, digits, '.', '_', '+' and '-' (at most 128, no '..')";

    /// <summary>
    /// An image reference or repository as tools receive it: 1 to 512 printable characters without spaces, not starting
    /// with <c>-</c> (a tool would read it as an option).
    /// </summary>
    public static bool IsImageReference(string? value) =>
        value is { Length: > 0 and <= 512 } && value[0] != '-' && value.All(c => c > ' ' && c < '\u007f');

    /// <summary>A Docker tag: 1 to 128 of letters, digits, <c>_</c>, <c>.</c> and <c>-</c>, not starting with <c>.</c> or <c>-</c>.</summary>
    public static bool IsTag(string? value) =>
        value is { Length: > 0 and <= 128 } && (char.IsAsciiLetterOrDigit(value[0]) || value[0] == '_')
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>
    /// A SHA-256 digest as Docker and Slipway write it, <c>sha256:</c> and 64 lower-case hex digits: a local image ID, a
    /// file's hash in a record. It is safe in a file name once the prefix is dropped.
    /// </summary>
    public static bool IsSha256Digest(string? value) =>
        value is { Length: 71 } && value.StartsWith("sha256:", StringComparison.Ordinal) && value[7..].All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>A service name (<see cref="ResourceName"/>).</summary>
    public static bool IsService(string? value) => ResourceName.IsValid(value);
}
