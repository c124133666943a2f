using System.Text.Json;

namespace Slipway.Tools.Scan;

/// <summary>The JSON reading the three report parsers share: parse with a clear error, read optional fields.</summary>
internal static class ReportJson
{
    public static JsonDocument Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new ScanReportException(source, "the output is empty. Did the scanner write its report to stdout?");
        }

        try
        {
            var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new ScanReportException(source, "the top level is not a JSON object.");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw new ScanReportException(source, $"it is not valid JSON ({ex.Message}).");
        }
    }

    /// <summary>The array property's items; none when it is missing or null (scanners write <c>null</c> for "nothing found").</summary>
    public static IEnumerable<JsonElement> Items(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];

    /// <summary>The string property, or null when missing, null or empty.</summary>
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    public static string RequiredText(JsonElement element, string name, string where, string source) =>
        Text(element, name) ?? throw new ScanReportException(source, $"{where} has no {name}.");

    public static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}
