namespace Slipway;

/// <summary>Vulnerability severities, lowest first, as scanners report them.</summary>
public enum Severity
{
    /// <summary>No known vulnerability is tolerated.</summary>
    None,

    /// <summary>Low.</summary>
    Low,

    /// <summary>Medium.</summary>
    Medium,

    /// <summary>High.</summary>
    High,

    /// <summary>Critical.</summary>
    Critical,
}
