namespace Slipway.Delivery.State;

/// <summary>
/// Where an <see cref="EnvironmentLock"/> is kept: a file in the state directory, a container on the Docker host, a Lease in
/// the cluster. Each gives the two operations a lock needs to be safe across machines: an atomic create that fails for all
/// but the first creator, and a removal that removes only the lock that was read.
/// </summary>
public interface ILockStore
{
    /// <summary>Where the lock is, for messages.</summary>
    string Location { get; }

    /// <summary>Creates the lock for <paramref name="holder"/>; false when a lock exists already (whoever made it first wins).</summary>
    /// <exception cref="IOException">The lock could not be created for another reason than existing already.</exception>
    bool TryCreate(LockHolder holder);

    /// <summary>Who holds the lock, with its lease as last renewed; null when nobody does; a placeholder when it cannot be read.</summary>
    LockHolder? Read();

    /// <summary>Renews <paramref name="holder"/>'s lease until about <paramref name="expires"/>; false when the lock is no longer that run's.</summary>
    bool Renew(LockHolder holder, DateTimeOffset expires);

    /// <summary>Removes the lock if it is still <paramref name="holder"/>'s run; true when it did.</summary>
    bool Release(LockHolder holder);

    /// <summary>
    /// Removes the lock of <paramref name="stale"/>, unless it changed since it was read (another run took it over first);
    /// true when the caller should try to take the lock again.
    /// </summary>
    bool RemoveStale(LockHolder stale);

    /// <summary>Removes the lock whoever holds it (<c>--break-lock</c>); who held it, or null when there was none.</summary>
    LockHolder? Break();
}
