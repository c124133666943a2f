using System.Globalization;

namespace Slipway.Delivery.Probes;

/// <summary>
/// One request of a probe run: the status it was answered with, or why it got no answer, and how long it took
/// either way.
/// </summary>
public sealed record ProbeSample
{
    private ProbeSample(TimeSpan latency, int? status, string? error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        Latency = latency;
        Status = status;
        Error = error;
    }

    /// <summary>From sending the request to having read the whole answer, or to giving up.</summary>
    public TimeSpan Latency { get; }

    /// <summary>The HTTP status of the answer; null when there was none.</summary>
    public int? Status { get; }

    /// <summary>Why there was no answer, e.g. <c>timeout after 2000 ms</c> or <c>HttpRequestException: Connection refused (127.0.0.1:8080)</c>; null when there was one.</summary>
    public string? Error { get; }

    /// <summary>The status as text (<c>500</c>), else the error: the key of <see cref="ProbeResult.Outcomes"/>.</summary>
    public string Outcome => Status?.ToString(CultureInfo.InvariantCulture) ?? Error!;

    /// <summary>A request that was answered, with any status.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="latency">How long the answer took.</param>
    public static ProbeSample Answered(int status, TimeSpan latency) => new(latency, status, null);

    /// <summary>A request that got no answer: it timed out, or the connection failed.</summary>
    /// <param name="error">Why, on one line.</param>
    /// <param name="latency">How long it took to give up.</param>
    public static ProbeSample Failed(string error, TimeSpan latency)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(latency, null, error.ReplaceLineEndings(" "));
    }
}
