using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery;

/// <summary>
/// The provisioning scripts and image definitions that ship inside this package (what <c>Provision</c> runs), extracted
/// into a directory of their own under the repository's <c>.slipway/provision/</c>, named after the package's version and
/// the scripts' hash, so any repository can provision without a copy of Slipway's <c>provision/</c> folder.
/// </summary>
public static class Provisioning
{
    private const string Prefix = "Slipway.Provisioning/";
    private const string CompleteMarker = ".complete";

    /// <summary>The names of the shipped files, relative to the extracted directory (<c>provision.sh</c>, <c>images/postgres/Dockerfile</c>, …).</summary>
    public static IReadOnlyList<string> Files =>
        [.. Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal)];

    /// <summary>The versioned directory name: the package version and a hash of the shipped files, e.g. <c>0.1.0-3f2a9c1d</c>.</summary>
    public static string Version { get; } = ComputeVersion();

    /// <summary>
    /// Extracts the shipped files under <paramref name="stateDirectory"/><c>/provision/</c><see cref="Version"/> (once: a
    /// complete extraction is reused) and returns that directory. Scripts keep their execute bit.
    /// </summary>
    public static string Extract(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        var target = Path.Combine(Path.GetFullPath(stateDirectory), "provision", Version);
        if (File.Exists(Path.Combine(target, CompleteMarker)))
        {
            return target;
        }

        // Extract beside it first, then move: a run killed half-way never leaves a directory that looks complete.
        var partial = target + $".partial-{Environment.ProcessId}";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        foreach (var file in Files)
        {
            var path = Path.Combine(partial, file.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var resource = Assembly.GetManifestResourceStream(Prefix + file)!)
            using (var output = File.Create(path))
            {
                resource.CopyTo(output);
            }

            if (!OperatingSystem.IsWindows() && (file.EndsWith(".sh", StringComparison.Ordinal) || file.EndsWith("policy-rc.d", StringComparison.Ordinal)))
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }

        File.WriteAllText(Path.Combine(partial, CompleteMarker), Version + "\n");
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.Move(partial, target);
        return target;
    }

    private static Assembly Assembly => typeof(Provisioning).Assembly;

    private static string ComputeVersion()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            using var resource = Assembly.GetManifestResourceStream(Prefix + file)!;
            using var memory = new MemoryStream();
            resource.CopyTo(memory);
            hash.AppendData(memory.ToArray());
        }

        var version = Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
        return $"{version}-{Convert.ToHexStringLower(hash.GetHashAndReset())[..8]}";
    }
}
