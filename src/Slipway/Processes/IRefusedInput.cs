namespace Slipway.Processes;

/// <summary>
/// An exception that refuses an input a person or an earlier run wrote (a file Slipway reads, such as
/// <c>artifacts/release.json</c>, a lock or a saved state), not a failure of the work itself. A run whose failed targets
/// all failed on refused inputs exits 2, as a bad option or environment file does; the message names the input and the fix.
/// </summary>
public interface IRefusedInput
{
    /// <summary>The input refused, as the message names it (a path relative to the repository, or an option).</summary>
    string Input { get; }
}
