namespace Slipway.Environments;

/// <summary>
/// When a <see cref="MaintenanceWindow"/> is open. Pure: the caller passes the instant (a deploy's injected clock), so
/// every edge (a window across midnight, the daylight saving jumps) is tested without waiting for it.
/// </summary>
public static class MaintenanceWindows
{
    /// <summary>Finds <paramref name="id"/> among the machine's time zones (IANA names on Linux); false when unknown.</summary>
    public static bool TryFindTimeZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id.Contains("..", StringComparison.Ordinal) || id.StartsWith('/'))
        {
            return false;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
    }

    /// <summary>When the window that holds <paramref name="now"/> closes; null when the window is closed at <paramref name="now"/>.</summary>
    public static DateTimeOffset? ClosesAt(MaintenanceWindow window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(window);
        var length = window.Length.Value;
        return Openings(window, now.AddDays(-8 - Math.Ceiling(length.TotalDays)), now.AddDays(1))
            .Where(start => start <= now && now < start + length)
            .Select(start => (DateTimeOffset?)(start + length))
            .Max();
    }

    /// <summary>The first opening after <paramref name="now"/> (as a UTC instant).</summary>
    public static DateTimeOffset NextOpening(MaintenanceWindow window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(window);
        return Openings(window, now, now.AddDays(9)).Where(start => start > now).Min();
    }

    /// <summary>The window as a person reads it: <c>Sunday 02:00 Europe/Berlin for 2h</c>.</summary>
    public static string Describe(MaintenanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return $"{string.Join(", ", window.Days)} {window.Start:HH\\:mm} {window.TimeZone} for {window.Length}";
    }

    /// <summary><paramref name="instant"/> in the window's time zone, with the UTC time beside it.</summary>
    public static string Local(MaintenanceWindow window, DateTimeOffset instant)
    {
        ArgumentNullException.ThrowIfNull(window);
        TryFindTimeZone(window.TimeZone, out var zone);
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return $"{local:yyyy-MM-dd HH:mm} {window.TimeZone} ({instant.UtcDateTime:yyyy-MM-dd HH:mm} UTC)";
    }

    /// <summary>Every opening (UTC instant) of the window on the local dates from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private static IEnumerable<DateTimeOffset> Openings(MaintenanceWindow window, DateTimeOffset from, DateTimeOffset to)
    {
        if (!TryFindTimeZone(window.TimeZone, out var zone))
        {
            throw new ArgumentException($"'{window.TimeZone}' is not a known time zone.", nameof(window));
        }

        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime).AddDays(1);
        for (var date = first; date <= last; date = date.AddDays(1))
        {
            if (window.Days.Contains(date.DayOfWeek))
            {
                yield return ToInstant(zone, date.ToDateTime(window.Start));
            }
        }
    }

    /// <summary>
    /// The instant a local wall-clock time means in <paramref name="zone"/>: a time the spring jump skips opens when the
    /// clocks have jumped (the first valid minute after it); a time the autumn overlap repeats opens at the first of the two.
    /// </summary>
    private static DateTimeOffset ToInstant(TimeZoneInfo zone, DateTime local)
    {
        var wall = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wall))
        {
            var after = wall;
            while (zone.IsInvalidTime(after))
            {
                after = after.AddMinutes(1);
            }

            // The gap is skipped: the window opens at the instant the clocks jumped to.
            return new DateTimeOffset(after, zone.GetUtcOffset(after));
        }

        var offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
        return new DateTimeOffset(wall, offset);
    }
}
