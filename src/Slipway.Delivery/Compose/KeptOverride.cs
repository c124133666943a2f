using Slipway.Processes;

namespace Slipway.Delivery.Compose;

/// <summary>
/// The override a revision runs with, kept as it was: written once under <c>releases/VERSION@REVISION.compose.yml</c>,
/// read-only, and never rewritten or removed by Slipway, so a rollback to the revision runs what it ran.
/// </summary>
internal static class KeptOverride
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> unless it is there already. The name is the content's
    /// hash (with the images), so a file that is there with other content was edited by hand: that is refused, since a
    /// rollback would not run what the revision ran.
    /// </summary>
    public static Task WriteAsync(IToolSession session, string path, string content, Func<string, string> display) =>
        session.DoAsync($"keep {display(path)}, the configuration of this revision (written once, read-only)", async cancellationToken =>
        {
            if (File.Exists(path))
            {
                if (await File.ReadAllTextAsync(path, cancellationToken) != content)
                {
                    throw new InvalidOperationException(
                        $"{display(path)} was changed after it was written: it is the configuration a revision ran with, which a rollback reuses. Move it aside and deploy again.");
                }

                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            await File.WriteAllTextAsync(temporary, content, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            // A rename is atomic: a reader never sees half a file, and two runs of the same revision write the same text.
            File.Move(temporary, path, overwrite: true);
        });
}
