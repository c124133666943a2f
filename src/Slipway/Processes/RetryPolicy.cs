namespace Slipway.Processes;

/// <summary>
/// How the runner retries a tool that failed transiently: at most <paramref name="MaxAttempts"/> runs,
/// waiting <paramref name="BaseDelay"/> then doubling, and only when <paramref name="IsTransient"/> says
/// the failure is worth another try (a refused connection, a 503) — never for a real error.
/// </summary>
/// <param name="MaxAttempts">Total runs, including the first.</param>
/// <param name="BaseDelay">The wait before the second run; doubled before each later one.</param>
/// <param name="IsTransient">Whether a failed run may succeed if repeated.</param>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, Func<ToolResult, bool> IsTransient)
{
    /// <summary>Network-level failures of registry and daemon operations (push, pull, login).</summary>
    public static RetryPolicy TransientNetworkErrors { get; } = new(4, TimeSpan.FromSeconds(1), result => LooksTransient(result.StandardError + "\n" + result.StandardOutput));

    /// <summary>True for messages of failures that a retry can cure.</summary>
    public static bool LooksTransient(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string[] markers =
        [
            "connection refused", "connection reset", "i/o timeout", "TLS handshake timeout", "EOF",
            "503 Service Unavailable", "502 Bad Gateway", "504 Gateway", "429 Too Many Requests",
            "net/http: request canceled", "no such host", "temporary failure",
        ];
        return markers.Any(m => output.Contains(m, StringComparison.OrdinalIgnoreCase));
    }
}
