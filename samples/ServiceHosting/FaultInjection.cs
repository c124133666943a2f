using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Slipway.Samples.ServiceHosting;

/// <summary>How a release deliberately misbehaves, so rollback and canary analysis can be tested
/// against a real bad build instead of a mocked one.</summary>
public enum FaultMode
{
    None,
    Errors,
    Slow,

    /// <summary>A worker that takes no job and keeps its health green: only a probe of the work itself (an order that
    /// must be processed) catches it. HTTP requests are untouched.</summary>
    Stall,
}

/// <summary><c>FAULT_MODE</c> and <c>FAULT_DELAY_MS</c>, validated.</summary>
public sealed record FaultSettings(FaultMode Mode, TimeSpan Delay)
{
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromMilliseconds(1500);

    public static FaultSettings None { get; } = new(FaultMode.None, DefaultDelay);

    /// <summary>Reads the settings, adding one message per invalid value to <paramref name="errors"/>
    /// so a misconfigured container reports everything wrong at once.</summary>
    public static FaultSettings Parse(IConfiguration configuration, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);

        var modeText = configuration["FAULT_MODE"]?.Trim();
        var mode = FaultMode.None;
        if (!string.IsNullOrEmpty(modeText))
        {
            mode = modeText.ToUpperInvariant() switch
            {
                "NONE" => FaultMode.None,
                "ERRORS" => FaultMode.Errors,
                "SLOW" => FaultMode.Slow,
                "STALL" => FaultMode.Stall,
                _ => Invalid(),
            };
        }

        var delay = DefaultDelay;
        var delayText = configuration["FAULT_DELAY_MS"]?.Trim();
        if (!string.IsNullOrEmpty(delayText))
        {
            if (int.TryParse(delayText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
            {
                delay = TimeSpan.FromMilliseconds(ms);
            }
            else
            {
                errors.Add($"FAULT_DELAY_MS: '{delayText}' is not a whole number of milliseconds (0 or more).");
            }
        }

        return new FaultSettings(mode, delay);

        FaultMode Invalid()
        {
            errors.Add($"FAULT_MODE: '{modeText}' is not one of: none, errors, slow, stall.");
            return FaultMode.None;
        }
    }
}

/// <summary>Paths the orchestrator probes. Liveness is never faulted: a bad release must be
/// rolled back by the pipeline, not restarted forever by Docker or Kubernetes.</summary>
public static class HealthPaths
{
    public const string Live = "/health/live";
    public const string Ready = "/health/ready";
}

/// <summary>Applies <see cref="FaultSettings"/> to every request except liveness: <c>errors</c>
/// answers 500 (readiness included, so a canary never becomes ready), <c>slow</c> delays every
/// non-health request.</summary>
public sealed class FaultInjectionMiddleware
{
    private readonly RequestDelegate _next;
    private readonly FaultSettings _settings;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    public FaultInjectionMiddleware(RequestDelegate next, FaultSettings settings)
        : this(next, settings, Task.Delay)
    {
    }

    /// <summary>Takes the delay as a function so tests can observe it without waiting.</summary>
    public FaultInjectionMiddleware(RequestDelegate next, FaultSettings settings, Func<TimeSpan, CancellationToken, Task> delay)
    {
        _next = next;
        _settings = settings;
        _delay = delay;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        var isLive = path.StartsWithSegments(HealthPaths.Live, StringComparison.OrdinalIgnoreCase);
        var isReady = path.StartsWithSegments(HealthPaths.Ready, StringComparison.OrdinalIgnoreCase);

        switch (_settings.Mode)
        {
            // Health endpoints still answer truthfully: errors mode is a release that passes its health checks and
            // fails its work, the failure only SLO probes of real endpoints catch.
            case FaultMode.Errors when !isLive && !isReady:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(
                    new { error = "fault injected (FAULT_MODE=errors)" },
                    context.RequestAborted);
                return;
            case FaultMode.Slow when !isLive && !isReady:
                await _delay(_settings.Delay, context.RequestAborted);
                break;
        }

        await _next(context);
    }
}
