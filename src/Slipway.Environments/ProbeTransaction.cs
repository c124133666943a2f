using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>
/// The request a probe sends when it is not a plain GET: its method, headers (plain, or secret references resolved at
/// deploy time and never shown) and body, e.g. <c>POST /orders</c> with a JSON order.
/// </summary>
public sealed record ProbeRequest
{
    /// <summary>The HTTP method.</summary>
    [RegularExpression("^(GET|HEAD|POST|PUT|PATCH|DELETE)$", ErrorMessage = "one of GET, HEAD, POST, PUT, PATCH, DELETE")]
    public string Method { get; init; } = "GET";

    /// <summary>Plain request headers, e.g. <c>Accept: application/json</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Request headers whose values are secrets (e.g. an API key), as references; masked in every report.</summary>
    public IReadOnlyDictionary<string, SecretReference> SecretHeaders { get; init; } = ImmutableDictionary<string, SecretReference>.Empty;

    /// <summary>The body, sent as-is.</summary>
    public string? Body { get; init; }

    /// <summary>The body's media type.</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>Whether this is a plain GET (or HEAD): a request that changes nothing.</summary>
    public bool IsSafe => Method is "GET" or "HEAD";
}

/// <summary>
/// The second half of a transaction probe: after the first request succeeds, poll <see cref="Path"/> (with
/// <c>{name}</c> replaced by the first response's JSON field <c>name</c>, e.g. <c>/orders/{id}</c>) until its JSON field
/// <see cref="Field"/> equals <see cref="Value"/>, within <see cref="Within"/>. The whole transaction is one sample.
/// </summary>
public sealed record ProbeFollowUp
{
    /// <summary>The path to poll; <c>{name}</c> takes the first response's JSON field <c>name</c> (dotted for nested fields).</summary>
    [RegularExpression("^/.*$", ErrorMessage = "an HTTP path starting with /")]
    public required string Path { get; init; }

    /// <summary>The JSON field of the polled response to watch (dotted for nested fields), e.g. <c>status</c>.</summary>
    [RegularExpression(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", ErrorMessage = "a JSON field name, dotted for nested fields (e.g. status or result.state)")]
    public required string Field { get; init; }

    /// <summary>The value the field must reach, compared as text (<c>processed</c>, <c>100</c>, <c>true</c>).</summary>
    public required string Value { get; init; }

    /// <summary>How long after the first request the field may take to reach the value.</summary>
    public required Duration Within { get; init; }

    /// <summary>The pause between polls.</summary>
    public Duration Interval { get; init; } = Duration.Parse("500ms");
}
