namespace Slipway.Environments;

/// <summary>
/// Reads <c>file:PATH</c> references, relative paths from <paramref name="baseDirectory"/> (the
/// repository root). Trailing line breaks are dropped because editors and <c>echo</c> add them.
/// </summary>
/// <param name="baseDirectory">Where relative paths start.</param>
public sealed class FileSecretProvider(string baseDirectory) : ISecretProvider
{
    /// <inheritdoc />
    public string Scheme => "file";

    /// <inheritdoc />
    public string? TryRead(string path)
    {
        var full = FullPath(path);
        return File.Exists(full) ? File.ReadAllText(full).TrimEnd('\r', '\n') : null;
    }

    /// <inheritdoc />
    public string HowToProvide(string path) => $"create {FullPath(path)} (it does not exist)";

    private string FullPath(string path) => Path.GetFullPath(path, baseDirectory);
}
