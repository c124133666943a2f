using System.Globalization;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.State;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Where a Compose environment keeps its ledger and lock on its own Docker host, reached through the same endpoint as
/// the deploy: the volume <c>&lt;project&gt;-slipway-state</c> holds the ledger, the container <c>&lt;project&gt;-slipway-lock</c>
/// is the lock. Nothing runs on the host between deploys, and only the proxy's image (already there: the stack runs it) is used.
/// </summary>
internal sealed record DockerHostState(string Project, DockerEndpoint Endpoint, string Image, IToolSession Session)
{
    /// <summary>The ledger file inside the volume.</summary>
    public const string LedgerFile = "/state/ledger.jsonl";

    /// <summary>The named volume that keeps the ledger.</summary>
    public string Volume => $"{Project}-slipway-state";

    /// <summary>The container whose existence is the lock.</summary>
    public string LockContainer => $"{Project}-slipway-lock";

    /// <summary>The engine, for messages.</summary>
    public string HostText => Endpoint.Host ?? (Endpoint.Context is { } context ? $"docker context {context}" : "the local engine");

    /// <summary>Runs a query and waits for it; the stores are synchronous, like the file stores they stand beside.</summary>
    public ToolResult Query(ToolInvocation invocation) => Session.QueryAsync(invocation).GetAwaiter().GetResult();

    /// <summary>Runs a command that changes the host (printed in the log), and waits for it.</summary>
    public ToolResult Change(ToolInvocation invocation) => Session.RunAsync(invocation, echoOutput: false).GetAwaiter().GetResult();

    /// <summary>The failure of <paramref name="what"/> as an <see cref="IOException"/>: the lock's renewal and the ledger's callers treat it as one.</summary>
    public IOException Failure(string what, ToolResult result) =>
        new($"Could not {what} on {HostText}: docker exited with {result.ExitCode}: {string.Join(" ", ToolFailedException.Tail(result.StandardError, 3)).Trim()}");
}

/// <summary>The ledger in the environment's state volume on its Docker host: read with <c>cat</c>, appended with <c>tee -a</c> (<c>O_APPEND</c>, one write per append).</summary>
internal sealed class DockerHostLedgerStore(DockerHostState host) : ILedgerStore
{
    /// <inheritdoc />
    public string Location => $"{DockerHostState.LedgerFile} in the volume {host.Volume} on {host.HostText}";

    /// <inheritdoc />
    public string? ReadText()
    {
        // docker run -v would create a missing volume: ask first, so reading a history leaves no trace.
        var volume = host.Query(DockerCli.VolumeInspect(host.Volume, host.Endpoint));
        if (volume.ExitCode != 0)
        {
            return NoSuch(volume.StandardError) ? null : throw host.Failure($"look for the volume {host.Volume}", volume);
        }

        var read = host.Query(DockerCli.RunOnVolume(host.Image, host.Volume, "/state", readOnly: true, ["cat", DockerHostState.LedgerFile], endpoint: host.Endpoint)
            .WithSuccessExitCodes(0, 1));
        if (read.ExitCode != 0)
        {
            return read.StandardError.Contains("No such file", StringComparison.Ordinal) ? null : throw host.Failure($"read {Location}", read);
        }

        return Encoding.UTF8.GetByteCount(read.StandardOutput) > RecordedValue.MaxLedgerBytes
            ? throw new IOException($"{Location} is larger than the limit of {RecordedValue.MaxLedgerBytes >> 20} MiB for a ledger; copy it aside (it is the audit trail: keep it) and start a new one.")
            : read.StandardOutput;
    }

    /// <inheritdoc />
    public void AppendLines(byte[] lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var append = DockerCli.RunOnVolume(host.Image, host.Volume, "/state", readOnly: false, ["tee", "-a", DockerHostState.LedgerFile], interactive: true, endpoint: host.Endpoint)
            .WithStandardInput(Encoding.UTF8.GetString(lines))
            .WithSuccessExitCodes([.. Enumerable.Range(0, 256)]);
        var result = host.Change(append);
        if (result.ExitCode != 0)
        {
            throw host.Failure($"append to {Location}", result);
        }
    }

    private static bool NoSuch(string error) => error.Contains("No such volume", StringComparison.OrdinalIgnoreCase) || error.Contains("no such volume", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The lock as a container on the environment's Docker host: the engine creates a name once (a second create is a 409
/// Conflict), the holder is in the container's labels, and the holder renews its lease by starting the container, whose
/// command exits at once: the engine stamps <c>State.FinishedAt</c> with its own clock, so every runner reads the same
/// renewal time. A removal names the container by id, so it removes only the lock that was read.
/// </summary>
internal sealed class DockerHostLockStore(DockerHostState host) : ILockStore
{
    private const string HolderLabel = "io.slipway.lock.holder";
    private const string LeaseLabel = "io.slipway.lock.lease-seconds";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <inheritdoc />
    public string Location => $"the container {host.LockContainer} on {host.HostText}";

    /// <inheritdoc />
    public bool TryCreate(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        var lease = (holder.LeaseExpires ?? holder.Acquired + LockHolder.DefaultLease) - holder.Acquired;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [HolderLabel] = JsonSerializer.Serialize(holder with { LeaseExpires = null }, Options),
            [LeaseLabel] = ((int)Math.Ceiling(lease.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        };
        var created = host.Change(DockerCli.CreateContainer(host.LockContainer, host.Image, "true", labels, host.Endpoint));
        return created.ExitCode == 0 || (DockerCli.IsNameConflict(created) ? false : throw host.Failure($"create the lock {host.LockContainer}", created));
    }

    /// <inheritdoc />
    public LockHolder? Read() => Inspect()?.Holder;

    /// <inheritdoc />
    public bool Renew(LockHolder holder, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(holder);
        if (Inspect() is not { } current || !holder.IsSameRun(current.Holder))
        {
            return false;
        }

        var started = host.Change(DockerCli.StartContainer(current.Id, host.Endpoint).WithSuccessExitCodes(0, 1));
        return started.ExitCode == 0 || (NoSuchContainer(started.StandardError) ? false : throw host.Failure($"renew the lease of {host.LockContainer}", started));
    }

    /// <inheritdoc />
    public bool Release(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return Inspect() is { } current && holder.IsSameRun(current.Holder) && Remove(current.Id);
    }

    /// <inheritdoc />
    public bool RemoveStale(LockHolder stale)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (Inspect() is not { } current)
        {
            return true;
        }

        if (!stale.IsSameRun(current.Holder))
        {
            return false;
        }

        // By id: if a faster run removed the stale lock and took its own since, this id is gone and its lock stays.
        Remove(current.Id);
        return true;
    }

    /// <inheritdoc />
    public LockHolder? Break()
    {
        if (Inspect() is not { } current)
        {
            return null;
        }

        Remove(current.Id);
        return current.Holder;
    }

    /// <summary>Removes the container <paramref name="id"/>; false when it was gone already.</summary>
    private bool Remove(string id)
    {
        var removed = host.Change(DockerCli.Remove(id, force: true, host.Endpoint).WithSuccessExitCodes(0, 1));
        return removed.ExitCode == 0 || (NoSuchContainer(removed.StandardError) ? false : throw host.Failure($"remove the lock {host.LockContainer}", removed));
    }

    private (string Id, LockHolder Holder)? Inspect()
    {
        var inspected = host.Query(DockerCli.Inspect(host.LockContainer, host.Endpoint));
        if (inspected.ExitCode != 0)
        {
            return NoSuchContainer(inspected.StandardError) ? null : throw host.Failure($"read the lock {host.LockContainer}", inspected);
        }

        return Parse(inspected.StandardOutput);
    }

    /// <summary>The lock's id and holder, its lease counted from the last renewal (the container's last run) or its creation.</summary>
    internal static (string Id, LockHolder Holder) Parse(string inspectJson)
    {
        using var document = JsonDocument.Parse(inspectJson);
        var root = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement[0] : document.RootElement;
        var id = root.GetProperty("Id").GetString() ?? string.Empty;
        var created = Time(root, "Created") ?? DateTimeOffset.UnixEpoch;
        var finished = root.TryGetProperty("State", out var state) ? Time(state, "FinishedAt") : null;
        var renewed = finished > created ? finished.Value : created;
        var labels = root.TryGetProperty("Config", out var config) && config.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        LockHolder? holder = null;
        var leaseSeconds = 0;
        if (labels.ValueKind == JsonValueKind.Object)
        {
            try
            {
                holder = labels.TryGetProperty(HolderLabel, out var h) && h.GetString() is { } text ? JsonSerializer.Deserialize<LockHolder>(text, Options) : null;
            }
            catch (JsonException)
            {
                holder = null;
            }

            _ = labels.TryGetProperty(LeaseLabel, out var s) && int.TryParse(s.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out leaseSeconds);
        }

        if (holder is not { Holder: not null, Version: not null, Host: not null })
        {
            // Someone else's container under the lock's name: the environment is taken, by nobody Slipway can name.
            return (id, new LockHolder($"unknown (the container {id[..Math.Min(12, id.Length)]} has no Slipway holder label)", 0, "unknown", created, "unknown"));
        }

        return (id, holder with { LeaseExpires = leaseSeconds > 0 ? renewed + TimeSpan.FromSeconds(leaseSeconds) : null });
    }

    private static DateTimeOffset? Time(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && time.Year > 1
            ? time
            : null;

    private static bool NoSuchContainer(string error) => error.Contains("No such container", StringComparison.OrdinalIgnoreCase) || error.Contains("No such object", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The configurations revisions ran with (their override files, <c>releases/VERSION@REVISION.compose.yml</c>), kept in the
/// state volume beside the ledger, so a Rollback on a machine that never deployed (a fresh CI runner) finds the
/// configuration the ledger's revision names. Written once per revision; the local state directory keeps its own copy.
/// </summary>
internal sealed class DockerHostKeptFiles(DockerHostState host)
{
    /// <summary>Where <paramref name="name"/> is kept, for messages.</summary>
    public string LocationOf(string name) => $"/state/releases/{name} in the volume {host.Volume} on {host.HostText}";

    /// <summary>The kept file <paramref name="name"/> (a file name, no directory), or null when the host has none.</summary>
    public string? Read(string name) => ReadAt(PathOf(name));

    private string? ReadAt(string path)
    {
        var volume = host.Query(DockerCli.VolumeInspect(host.Volume, host.Endpoint));
        if (volume.ExitCode != 0)
        {
            return null;
        }

        var read = host.Query(DockerCli.RunOnVolume(host.Image, host.Volume, "/state", readOnly: true, ["cat", path], endpoint: host.Endpoint).WithSuccessExitCodes(0, 1));
        return read.ExitCode == 0 ? read.StandardOutput : null;
    }

    /// <summary>Keeps <paramref name="content"/> as <paramref name="name"/> on the host (the same text for the same name: rewriting it changes nothing).</summary>
    public void Write(string name, string content) => WriteAt("/state/releases", PathOf(name), content, LocationOf(name), ownerOnly: false);

    private void WriteAt(string directory, string path, InvocationValue content, string location, bool ownerOnly)
    {
        // tee writes the file; mkdir -p first would need a shell, so the directory is made by a second program (a secret's
        // with mode 700, before anything is written into it).
        string[] mkdir = ownerOnly ? ["mkdir", "-p", "-m", "700", directory] : ["mkdir", "-p", directory];
        var made = host.Change(DockerCli.RunOnVolume(host.Image, host.Volume, "/state", readOnly: false, mkdir, endpoint: host.Endpoint).AcceptingAnyExitCode());
        var written = made.ExitCode == 0
            ? host.Change(DockerCli.RunOnVolume(host.Image, host.Volume, "/state", readOnly: false, ["tee", path], interactive: true, endpoint: host.Endpoint)
                .WithStandardInput(content).AcceptingAnyExitCode())
            : made;
        if (written.ExitCode != 0)
        {
            throw host.Failure($"keep {location}", written);
        }
    }

    /// <summary>Where the secret <paramref name="name"/> is kept, for messages.</summary>
    public string SecretLocationOf(string name) => $"{SecretPathOf(name)} in the volume {host.Volume} on {host.HostText}";

    /// <summary>
    /// The secret <paramref name="name"/> the environment generated for itself (its database password), or null. It is kept
    /// on the host that runs what it opens: whoever reaches that engine can read the database too.
    /// </summary>
    public string? ReadSecret(string name) => ReadAt(SecretPathOf(name));

    /// <summary>Keeps a generated secret on the host, in a directory only its owner may enter; never printed.</summary>
    public void WriteSecret(string name, Secret content) => WriteAt("/state/secrets", SecretPathOf(name), content, SecretLocationOf(name), ownerOnly: true);

    private static string PathOf(string name) => "/state/releases/" + Checked(name, "kept configuration file");

    private static string SecretPathOf(string name) => "/state/secrets/" + Checked(name, "kept secret");

    private static string Checked(string name, string what) =>
        name.Length > 0 && name == Path.GetFileName(name) && !name.StartsWith('.') && !name.Contains("..", StringComparison.Ordinal)
            ? name
            : throw new ArgumentException($"'{name}' is not the name of a {what}.", nameof(name));
}
