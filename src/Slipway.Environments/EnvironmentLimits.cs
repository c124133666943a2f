namespace Slipway.Environments;

/// <summary>
/// The bounds of one environment file, so that no file — a huge one, a deeply nested one, an alias bomb — can make
/// loading run for long or exhaust memory. They are generous for real files: a matrix of 300 services is about
/// 160 KB, 6 levels deep and 15,000 nodes. Each is refused with a message that names the limit.
/// </summary>
public static class EnvironmentLimits
{
    /// <summary>The largest environment file, in bytes (4 MiB).</summary>
    public const int MaxFileBytes = 4 << 20;

    /// <summary>The deepest nesting of mappings and lists.</summary>
    public const int MaxDepth = 64;

    /// <summary>The most nodes (keys, values, list items) in one file, counting every node an alias repeats.</summary>
    public const int MaxNodes = 200_000;

    /// <summary>The most errors reported for one environment; the rest are counted, not listed.</summary>
    public const int MaxErrors = 100;
}
