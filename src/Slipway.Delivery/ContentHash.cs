using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery;

/// <summary>The one spelling of "SHA-256 of a text" that step records, revisions and fingerprints compare.</summary>
internal static class ContentHash
{
    /// <summary>The lower-case hex SHA-256 of <paramref name="text"/>'s UTF-8 bytes (64 characters).</summary>
    public static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary><see cref="Hex"/> with the <c>sha256:</c> prefix, as the step records keep their inputs.</summary>
    public static string Prefixed(string text) => "sha256:" + Hex(text);
}
