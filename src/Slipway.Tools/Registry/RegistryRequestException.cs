using System.Net;

namespace Slipway.Tools.Registry;

/// <summary>A registry request failed. The message names the registry, the repository, the reference and the status.</summary>
public sealed class RegistryRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryRequestException(string message, string registry, string? repository, string? reference, HttpStatusCode? statusCode, Exception? innerException = null)
        : base(Processes.Redaction.Scrub(message), innerException)
    {
        Registry = registry;
        Repository = repository;
        Reference = reference;
        StatusCode = statusCode;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public RegistryRequestException()
        : this("A registry request failed.", string.Empty, null, null, null)
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public RegistryRequestException(string message)
        : this(message, string.Empty, null, null, null)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public RegistryRequestException(string message, Exception innerException)
        : this(message, string.Empty, null, null, null, innerException)
    {
    }

    /// <summary>The registry host, e.g. <c>127.0.0.1:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository, e.g. <c>slipway/api</c>, when the request concerned one.</summary>
    public string? Repository { get; }

    /// <summary>The tag or digest, when the request concerned one.</summary>
    public string? Reference { get; }

    /// <summary>The HTTP status, or null when no answer came.</summary>
    public HttpStatusCode? StatusCode { get; }
}
