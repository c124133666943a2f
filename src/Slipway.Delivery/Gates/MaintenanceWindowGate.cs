using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Gates;

/// <summary>
/// <c>data.maintenance_window</c>: a release with migrations pending runs only inside the window; outside it the deploy
/// waits for the next opening (<c>--wait-for-window</c>) or is refused with that time. A release without migrations
/// pending, an environment without a window or with migrations off, and a rollback (which never migrates) go any time.
/// </summary>
internal sealed class MaintenanceWindowGate(DeliveryEnvironment environment, IToolSession session, TimeProvider time)
{
    /// <summary>Passes, waits, or throws the refusal; before the lock, so a wait holds nothing.</summary>
    public async Task PassAsync(DeliveryRelease release, bool waitForWindow)
    {
        var settings = environment.Environment;
        if (settings.Data.MaintenanceWindow is not { } window || !settings.Data.Migrations.Enabled
            || PendingMigrations(environment, release).Pending is not { } pending)
        {
            return;
        }

        var now = time.GetUtcNow();
        var describe = MaintenanceWindows.Describe(window);
        if (MaintenanceWindows.ClosesAt(window, now) is { } closes)
        {
            session.Info($"{environment.Name}: {pending}; the maintenance window ({describe}) is open until {MaintenanceWindows.Local(window, closes)}.");
            return;
        }

        var next = MaintenanceWindows.NextOpening(window, now);
        var closed = $"{environment.Name}'s maintenance window ({environment.EnvironmentFile} data.maintenance_window: {describe}) is closed, and {pending}";
        if (!waitForWindow && session.IsDryRun)
        {
            // The window is a question of when the real run starts, not of the plan: a dry run shows the plan and warns.
            session.Warning($"{closed}. A deploy now would be refused; it opens next at {MaintenanceWindows.Local(window, next)} (or give --wait-for-window).");
            return;
        }

        if (!waitForWindow)
        {
            throw new InvalidOperationException($"{closed}. It opens next at {MaintenanceWindows.Local(window, next)}: deploy then, or give --wait-for-window to wait for it. Nothing was changed.");
        }

        if (session.IsDryRun)
        {
            session.Info($"would wait until {MaintenanceWindows.Local(window, next)} (--wait-for-window): {closed}");
            return;
        }

        session.Info($"{closed}: waiting until it opens at {MaintenanceWindows.Local(window, next)} (--wait-for-window).");
        await Task.Delay(next - now, time, session.CancellationToken);
    }

    /// <summary>
    /// Why <paramref name="release"/> may bring migrations the running release did not run (<c>Pending</c>), or, when it
    /// cannot, why not (<c>NoneBecause</c>). The migrations ship in the image of <c>data.migrations.image_of</c> (by
    /// default the routed service, <c>ingress.backend</c>; every service without either), so a release whose image is the
    /// one running (the ledger's last good release) brings none. A new image brings none either when every migration
    /// release.json records for it ran already (<see cref="MigrationsRanWith"/>). The first release of an environment may
    /// bring some.
    /// </summary>
    public static (string? Pending, string NoneBecause) PendingMigrations(DeliveryEnvironment environment, DeliveryRelease release)
    {
        var running = environment.Ledger().LastGood();
        if (running is null)
        {
            return ($"{release.Version} is the first release here, so its migrations may be pending", string.Empty);
        }

        var settings = environment.Environment;
        var carriers = (settings.Data.Migrations.ImageOf ?? settings.Ingress?.Backend) is { } carrier ? [carrier] : release.Images.Keys.ToList();
        var changed = carriers
            .Where(s => !string.Equals(release.Images.GetValueOrDefault(s), running.Images.GetValueOrDefault(s), StringComparison.Ordinal))
            .ToList();
        if (changed.Count == 0)
        {
            return (null, "the image that runs them is the one running now");
        }

        if (AgainstLedger(environment, release) is { } compared)
        {
            return compared.Missing.Count == 0
                ? (null, compared.Because)
                : ($"{release.Version} brings {compared.Missing.Count} migration(s) that {compared.Recorder.Version} did not run: {string.Join(", ", compared.Missing.Take(3).Select(m => m.Id))}{(compared.Missing.Count > 3 ? ", …" : string.Empty)}", string.Empty);
        }

        return ($"{release.Version} may bring migrations ({string.Join(", ", changed)}, which runs them, is a new image since {running.Version})", string.Empty);
    }

    /// <summary>
    /// The ledger entry after which the database holds every migration <paramref name="release"/>'s images carry, and that
    /// reason in words; null when one may be missing or the release does not say which it carries. Only what Publish
    /// recorded in release.json counts: the checkout that deploys may not be the one that built the images. What the
    /// database holds is what the newest entry that recorded migrations says (a migrate step ran, or a restore put a
    /// revision's data back); entries after it (already live, rollbacks) ran none.
    /// </summary>
    public static (LedgerEntry Entry, string Because)? MigrationsRanWith(DeliveryEnvironment environment, DeliveryRelease release) =>
        AgainstLedger(environment, release) is { Missing.Count: 0 } compared ? (compared.Recorder, compared.Because) : null;

    private static (LedgerEntry Recorder, List<DeclaredMigration> Missing, string Because)? AgainstLedger(DeliveryEnvironment environment, DeliveryRelease release)
    {
        if (release is not { MigrationsFromManifest: true, Migrations: { } carried }
            || environment.Ledger().ReadAll().Entries.LastOrDefault(e => e.Migrations is not null) is not { Migrations: { } applied } recorder)
        {
            return null;
        }

        var ids = applied.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        return (recorder, [.. carried.Where(m => !ids.Contains(m.Id))], $"each of the {carried.Count} its images carry ran with {recorder.Describe()}");
    }
}
