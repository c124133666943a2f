namespace Slipway.Samples.ServiceHosting;

/// <summary>The <c>healthcheck</c> sub-command used by the Dockerfile's HEALTHCHECK: the official
/// .NET images ship no curl or wget, so the app probes its own liveness endpoint.</summary>
public static class LivenessProbeCommand
{
    public const string Name = "healthcheck";

    public static async Task<int> RunAsync(Uri url, TextWriter output, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var client = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await client.GetAsync(url);
            await output.WriteLineAsync($"{url} -> {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"{url} -> {ex.Message}");
            return 1;
        }
    }
}
