namespace Slipway.Environments;

/// <summary>
/// Reads <c>file:PATH</c> references, relative paths from <paramref name="baseDirectory"/> (the
/// repository root). Trailing line breaks are dropped because editors and <c>echo</c> add them.
/// The file must be inside the repository, or inside one of <paramref name="allowedDirectories"/>, with
/// symbolic links followed; and it must be a regular text file of at most <see cref="MaxBytes"/>.
/// </summary>
/// <param name="baseDirectory">Where relative paths start.</param>
/// <param name="allowedDirectories">Directories outside the repository that secrets may be read from (full paths).</param>
public sealed class FileSecretProvider(string baseDirectory, IReadOnlyList<string> allowedDirectories) : ISecretProvider
{
    /// <summary>The largest secret file: 1 MiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>A provider that reads secret files inside <paramref name="baseDirectory"/> only.</summary>
    /// <param name="baseDirectory">Where relative paths start.</param>
    public FileSecretProvider(string baseDirectory)
        : this(baseDirectory, [])
    {
    }

    /// <inheritdoc />
    public string Scheme => "file";

    /// <inheritdoc />
    /// <exception cref="InputFileException">The path leads outside the allowed directories, or is not a regular text file.</exception>
    public string? TryRead(string path)
    {
        var full = FullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full) && new FileInfo(full).LinkTarget is null)
        {
            return null;
        }

        var real = ContainedPath.RealPath(full);
        if (!allowedDirectories.Prepend(baseDirectory).Any(d => ContainedPath.IsInside(ContainedPath.RealPath(Path.GetFullPath(d)), real)))
        {
            throw new InputFileException($"file:{path}",
                $"leads outside the repository ({real}); keep secret files inside it, or list their directory in {EnvironmentLoader.SecretDirectoriesVariable}");
        }

        return InputFile.ReadText(full, $"file:{path}", MaxBytes).TrimEnd('\r', '\n');
    }

    /// <inheritdoc />
    public string HowToProvide(string path) => $"create {FullPath(path)} (it does not exist)";

    private string FullPath(string path) => Path.GetFullPath(path, baseDirectory);
}
