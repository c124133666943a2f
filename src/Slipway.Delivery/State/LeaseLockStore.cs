using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.State;

/// <summary>
/// The lock as a <c>coordination.k8s.io/v1</c> Lease beside the Helm release (<c>&lt;release&gt;-slipway-lock</c>), with the
/// fields Kubernetes' own leader election uses: <c>holderIdentity</c> (who, pid and host, CI run), <c>leaseDurationSeconds</c>,
/// <c>acquireTime</c>, <c>renewTime</c> (the holder renews it every quarter of the lease) and <c>leaseTransitions</c>; the
/// whole <see cref="LockHolder"/> is in the annotation <c>slipway.dev/holder</c>. A released lock is a Lease without a
/// holder. Every change names the <c>resourceVersion</c> it read: of two runs that saw the lock free (or stale), the API
/// server lets exactly one write land and answers the other with a Conflict, so there are never two holders.
/// </summary>
/// <remarks>The lease runs out at <c>renewTime + leaseDurationSeconds</c> on the holder's clock; runner clocks kept by NTP
/// differ by far less than the lease (<see cref="LockHolder.DefaultLease"/>).</remarks>
internal sealed class LeaseLockStore(KubernetesState cluster) : ILockStore
{
    private const string HolderAnnotation = "slipway.dev/holder";
    private const string Kind = "lease";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <inheritdoc />
    public string Location => $"the Lease {cluster.LockLease} in {cluster.Where}";

    /// <inheritdoc />
    public bool TryCreate(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        var lease = cluster.Get(Kind, cluster.LockLease);
        if (lease is null)
        {
            return cluster.Create(Held(Empty(), holder, transitions: 0));
        }

        // A Lease without a holder is a released lock: take it at the version read; a Conflict means another run was faster.
        return Parse(lease) is null && cluster.Replace(Held(lease, holder, Transitions(lease) + 1));
    }

    /// <inheritdoc />
    public LockHolder? Read() => cluster.Get(Kind, cluster.LockLease) is { } lease ? Parse(lease) : null;

    /// <inheritdoc />
    public bool Renew(LockHolder holder, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(holder);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (cluster.Get(Kind, cluster.LockLease) is not { } lease || !holder.IsSameRun(Parse(lease)))
            {
                return false;
            }

            var spec = lease["spec"]!.AsObject();
            var duration = spec["leaseDurationSeconds"]?.GetValue<int>() ?? (int)LockHolder.DefaultLease.TotalSeconds;
            spec["renewTime"] = MicroTime(expires - TimeSpan.FromSeconds(duration));
            if (cluster.Replace(lease))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public bool Release(LockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return cluster.Get(Kind, cluster.LockLease) is { } lease && holder.IsSameRun(Parse(lease)) && cluster.Replace(Freed(lease));
    }

    /// <inheritdoc />
    public bool RemoveStale(LockHolder stale)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (cluster.Get(Kind, cluster.LockLease) is not { } lease || Parse(lease) is not { } current)
        {
            return true;
        }

        // Freed at the version read: if a faster run took the stale lock over since, this write is a Conflict and its lock stays.
        return stale.IsSameRun(current) && (cluster.Replace(Freed(lease)) || Read() is null);
    }

    /// <inheritdoc />
    public LockHolder? Break()
    {
        if (cluster.Get(Kind, cluster.LockLease) is not { } lease)
        {
            return null;
        }

        var holder = Parse(lease);
        cluster.Delete(Kind, cluster.LockLease);
        return holder;
    }

    /// <summary>The holder of <paramref name="lease"/>, its lease counted from <c>renewTime</c>; null when nobody holds it.</summary>
    internal static LockHolder? Parse(JsonObject lease)
    {
        var spec = lease["spec"] as JsonObject;
        var identity = spec?["holderIdentity"]?.GetValue<string>();
        if (string.IsNullOrEmpty(identity))
        {
            return null;
        }

        var acquired = Time(spec?["acquireTime"]) ?? DateTimeOffset.UnixEpoch;
        var renewed = Time(spec?["renewTime"]) ?? acquired;
        var seconds = spec?["leaseDurationSeconds"]?.GetValue<int>() ?? 0;
        LockHolder? holder;
        try
        {
            holder = lease["metadata"]?["annotations"]?[HolderAnnotation]?.GetValue<string>() is { } text ? JsonSerializer.Deserialize<LockHolder>(text, Options) : null;
        }
        catch (JsonException)
        {
            holder = null;
        }

        // Held by something that is not Slipway (another tool's Lease under this name): named by its identity, taken over when it expires.
        holder = holder is { Holder: not null, Version: not null, Host: not null }
            ? holder
            : new LockHolder($"unknown (holderIdentity {identity}, no Slipway holder annotation)", 0, "unknown", acquired, "unknown");
        return holder with { LeaseExpires = seconds > 0 ? renewed + TimeSpan.FromSeconds(seconds) : null };
    }

    private JsonObject Empty() => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = cluster.Metadata(cluster.LockLease),
        ["spec"] = new JsonObject(),
    };

    /// <summary><paramref name="lease"/> held by <paramref name="holder"/>, keeping its <c>resourceVersion</c> (so the write is conditional).</summary>
    private static JsonObject Held(JsonObject lease, LockHolder holder, int transitions)
    {
        var duration = (holder.LeaseExpires ?? holder.Acquired + LockHolder.DefaultLease) - holder.Acquired;
        var metadata = lease["metadata"]!.AsObject();
        var annotations = metadata["annotations"] as JsonObject ?? [];
        annotations[HolderAnnotation] = JsonSerializer.Serialize(holder with { LeaseExpires = null }, Options);
        metadata["annotations"] = annotations.DeepClone();
        lease["spec"] = new JsonObject
        {
            ["holderIdentity"] = $"{holder.Holder} pid {holder.Pid.ToString(CultureInfo.InvariantCulture)} on {holder.Host}{(holder.RunUrl is { Length: > 0 } url ? " " + url : string.Empty)}",
            ["leaseDurationSeconds"] = Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds)),
            ["acquireTime"] = MicroTime(holder.Acquired),
            ["renewTime"] = MicroTime(holder.Acquired),
            ["leaseTransitions"] = transitions,
        };
        return lease;
    }

    /// <summary><paramref name="lease"/> without a holder (released), its transitions kept.</summary>
    private static JsonObject Freed(JsonObject lease)
    {
        (lease["metadata"]?["annotations"] as JsonObject)?.Remove(HolderAnnotation);
        lease["spec"] = new JsonObject { ["leaseTransitions"] = Transitions(lease) };
        return lease;
    }

    private static int Transitions(JsonObject lease) => lease["spec"]?["leaseTransitions"]?.GetValue<int>() ?? 0;

    /// <summary>Kubernetes' <c>MicroTime</c>: RFC 3339 in UTC with microseconds.</summary>
    private static string MicroTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(JsonNode? value) =>
        value?.GetValue<string>() is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
}
