using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Slipway.Delivery;

/// <summary>HTTP for smoke checks: one request with a clear failure (status, body, expectation), or one attempt while waiting.</summary>
public static class SmokeHttp
{
    /// <summary>One GET while waiting: a refused connection or a slow answer is something seen, not a failure.</summary>
    public static async Task<(HttpStatusCode? Status, string Body)> TryGetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            using var response = await http.GetAsync(Relative(path), cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>GETs <paramref name="path"/> and parses its JSON; any other status than <paramref name="expected"/> fails with what it answered.</summary>
    public static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        string body;
        HttpStatusCode status;
        try
        {
            using var response = await http.GetAsync(Relative(path), cancellationToken);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"GET {path}: no answer within {http.Timeout.TotalSeconds:0} s", ex);
        }

        if (status != expected)
        {
            throw new InvalidOperationException($"GET {path} answered {Describe(status)} {Shorten(body)}; expected {Describe(expected)}");
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary><c>200</c>, or <c>no answer:</c> for none.</summary>
    public static string Describe(HttpStatusCode? status) => status is { } code ? ((int)code).ToString(CultureInfo.InvariantCulture) : "no answer:";

    /// <summary>The first 160 characters of <paramref name="text"/> on one line.</summary>
    public static string Shorten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 160 ? line : line[..160] + "…";
    }

    /// <summary>A path relative to the client's base address (or an absolute URL, such as a Location header's).</summary>
    public static Uri Relative(string path) => new(path, UriKind.RelativeOrAbsolute);
}
