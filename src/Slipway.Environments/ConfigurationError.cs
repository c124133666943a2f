namespace Slipway.Environments;

/// <summary>
/// One problem in the environment files, printed as
/// <c>environments/prod.yml:14:5: services.api.replicas: expected an integer ≥ 1, got "three"</c>
/// so editors and CI annotations can jump to it.
/// </summary>
/// <param name="File">The file, relative to the root the loader was given, with forward slashes.</param>
/// <param name="Line">1-based line; 0 when the problem has no position (e.g. a missing file).</param>
/// <param name="Column">1-based column; 0 when the problem has no position.</param>
/// <param name="KeyPath">The dotted key path, e.g. <c>canary.steps[1].weight</c>; empty for syntax errors.</param>
/// <param name="Message">What is wrong and, where possible, how to fix it.</param>
public sealed record ConfigurationError(string File, int Line, int Column, string KeyPath, string Message)
{
    /// <summary><c>file:line:column: key.path: message</c>, leaving out the parts that are unknown.</summary>
    public override string ToString()
    {
        var position = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return KeyPath.Length > 0 ? $"{position}: {KeyPath}: {Message}" : $"{position}: {Message}";
    }
}
