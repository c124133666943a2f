using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Probes;

/// <summary>
/// One sample of a probe that is more than a GET (<see cref="SloProbe.Request"/>, <see cref="SloProbe.FollowUp"/>): the
/// request with its method, headers and body; then, when the answer has the expected status and there is a follow-up,
/// polls the follow-up's URL (made from the answer's JSON) until its JSON field has the value, within the follow-up's
/// deadline. The sample's latency is the whole transaction's. Secret header values are resolved through the given
/// resolver, only into the request, and appear in no result or error.
/// </summary>
public static partial class ProbeTransaction
{
    /// <summary>Whether <paramref name="probe"/> needs this rather than a plain GET.</summary>
    public static bool Applies(SloProbe probe) => probe is { Request: not null } or { FollowUp: not null };

    /// <summary>
    /// Takes one sample. <paramref name="requestTimeout"/> bounds each HTTP request; the follow-up's
    /// <see cref="ProbeFollowUp.Within"/> bounds the polling. Failures are samples, not exceptions; only cancellation
    /// through <paramref name="cancellationToken"/> throws.
    /// </summary>
    public static async Task<ProbeSample> SampleAsync(
        HttpClient http,
        Uri url,
        SloProbe probe,
        TimeSpan requestTimeout,
        TimeProvider time,
        Func<SecretReference, Secret>? secrets,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var request = probe.Request ?? new ProbeRequest();
        var first = await SendAsync(http, () => Message(url, request, secrets), requestTimeout, cancellationToken);
        if (first.Error is { } error)
        {
            return ProbeSample.Failed($"{request.Method} {url.AbsolutePath}: {error}", time.GetElapsedTime(started));
        }

        if (first.Status != probe.ExpectedStatus || probe.FollowUp is not { } followUp)
        {
            return ProbeSample.Answered(first.Status, time.GetElapsedTime(started));
        }

        var pathResult = FollowUpPath(followUp.Path, first.Body);
        if (pathResult.Error is { } missing)
        {
            return ProbeSample.Failed(missing, time.GetElapsedTime(started));
        }

        var pollUrl = new Uri(url, pathResult.Path);
        var last = "no answer yet";
        while (true)
        {
            var left = followUp.Within.Value - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return ProbeSample.Failed(
                    string.Create(CultureInfo.InvariantCulture, $"GET {pollUrl.AbsolutePath}: {followUp.Field} did not become '{followUp.Value}' within {followUp.Within} ({last})"),
                    time.GetElapsedTime(started));
            }

            var poll = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, pollUrl), left < requestTimeout ? left : requestTimeout, cancellationToken);
            if (poll.Error is null && poll.Status is >= 200 and < 300)
            {
                var value = FieldOf(poll.Body, followUp.Field);
                if (value == followUp.Value)
                {
                    return ProbeSample.Answered(first.Status, time.GetElapsedTime(started));
                }

                last = value is null ? $"no field {followUp.Field} in the answer" : $"last {followUp.Field}: '{Shorten(value)}'";
            }
            else
            {
                last = poll.Error ?? string.Create(CultureInfo.InvariantCulture, $"last answer {poll.Status}");
            }

            var pause = followUp.Within.Value - time.GetElapsedTime(started);
            await Task.Delay(pause < followUp.Interval.Value ? (pause > TimeSpan.Zero ? pause : TimeSpan.Zero) : followUp.Interval.Value, time, cancellationToken);
        }
    }

    /// <summary>
    /// The follow-up's path with each <c>{name}</c> replaced by the first answer's JSON field <c>name</c> (URL-escaped),
    /// or why it cannot be made.
    /// </summary>
    public static (string Path, string? Error) FollowUpPath(string template, string firstBody)
    {
        ArgumentNullException.ThrowIfNull(template);
        string? error = null;
        var path = Placeholder().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            var value = FieldOf(firstBody, name);
            if (value is null)
            {
                error ??= $"the first answer has no JSON field {name} for the follow-up {template}";
                return string.Empty;
            }

            return Uri.EscapeDataString(value);
        });
        return (path, error);
    }

    /// <summary>A JSON field of <paramref name="json"/> as text (dotted for nested fields), or null when absent or not JSON.</summary>
    public static string? FieldOf(string json, string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        try
        {
            using var document = JsonDocument.Parse(json);
            var node = document.RootElement;
            foreach (var part in field.Split('.'))
            {
                if (node.ValueKind != JsonValueKind.Object || !TryGetProperty(node, part, out node))
                {
                    return null;
                }
            }

            return node.ValueKind switch
            {
                JsonValueKind.String => node.GetString(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => "null",
                _ => node.GetRawText(),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Names as written first; else case-insensitively (a C# service answers camelCase, a matrix may say Status).
    private static bool TryGetProperty(JsonElement node, string name, out JsonElement value)
    {
        if (node.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in node.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static HttpRequestMessage Message(Uri url, ProbeRequest request, Func<SecretReference, Secret>? secrets)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), url);
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        foreach (var (name, reference) in request.SecretHeaders)
        {
            var secret = (secrets ?? throw new InvalidOperationException($"the probe's header {name} is a secret reference ({reference}) and this run has no secret resolver")).Invoke(reference);
            message.Headers.TryAddWithoutValidation(name, secret.Reveal());
        }

        if (request.Body is { } body)
        {
            message.Content = new StringContent(body, Encoding.UTF8);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
        }

        return message;
    }

    private sealed record Answer(int Status, string Body, string? Error);

    private static async Task<Answer> SendAsync(HttpClient http, Func<HttpRequestMessage> make, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = make();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(deadline.Token), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new Answer(0, string.Empty, string.Create(CultureInfo.InvariantCulture, $"timeout after {(long)timeout.TotalMilliseconds} ms"));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return new Answer(0, string.Empty, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_.]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
