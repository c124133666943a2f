using Slipway.Environments;

namespace Slipway.Tests.Environments;

/// <summary>When a maintenance window is open, in its own time zone: across midnight, and across both daylight saving jumps.</summary>
public sealed class MaintenanceWindowTests
{
    private static MaintenanceWindow Window(string zone, string start, string length, params DayOfWeek[] days) => new()
    {
        Days = days,
        Start = TimeOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture),
        Length = Duration.Parse(length),
        TimeZone = zone,
    };

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_window_across_midnight_is_open_after_midnight_and_closes_on_the_next_day()
    {
        var window = Window("UTC", "23:00", "3h", DayOfWeek.Saturday);

        Assert.Equal(Utc("2026-12-06T02:00:00Z"), MaintenanceWindows.ClosesAt(window, Utc("2026-12-06T01:30:00Z")));
        Assert.Equal(Utc("2026-12-06T02:00:00Z"), MaintenanceWindows.ClosesAt(window, Utc("2026-12-05T23:00:00Z")));
        Assert.Null(MaintenanceWindows.ClosesAt(window, Utc("2026-12-06T02:00:00Z")));
        Assert.Null(MaintenanceWindows.ClosesAt(window, Utc("2026-12-05T22:59:59Z")));
        Assert.Equal(Utc("2026-12-12T23:00:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-12-06T02:00:00Z")));
    }

    [Fact]
    public void The_start_is_local_time_in_the_windows_zone()
    {
        var window = Window("Europe/Berlin", "02:00", "2h", DayOfWeek.Sunday);

        // Winter (CET, +1): 02:00 local is 01:00 UTC; summer (CEST, +2): 00:00 UTC.
        Assert.Equal(Utc("2026-12-06T01:00:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-12-03T03:00:00Z")));
        Assert.Equal(Utc("2026-07-05T00:00:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-07-01T00:00:00Z")));
        Assert.Equal("2026-12-06 02:00 Europe/Berlin (2026-12-06 01:00 UTC)", MaintenanceWindows.Local(window, Utc("2026-12-06T01:00:00Z")));
    }

    [Fact]
    public void A_start_the_spring_jump_skips_opens_when_the_clocks_have_jumped()
    {
        // 2026-03-29, Europe/Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that night.
        var window = Window("Europe/Berlin", "02:30", "1h", DayOfWeek.Sunday);

        Assert.Equal(Utc("2026-03-29T01:00:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-03-28T12:00:00Z")));
        Assert.Equal(Utc("2026-03-29T02:00:00Z"), MaintenanceWindows.ClosesAt(window, Utc("2026-03-29T01:59:00Z")));
    }

    [Fact]
    public void A_window_over_the_spring_jump_lasts_its_length_in_real_time()
    {
        // 01:00 CET (00:00 UTC) for 2h: closes at 02:00 UTC, which the clocks on the wall show as 04:00 CEST.
        var window = Window("Europe/Berlin", "01:00", "2h", DayOfWeek.Sunday);

        Assert.Equal(Utc("2026-03-29T02:00:00Z"), MaintenanceWindows.ClosesAt(window, Utc("2026-03-29T00:30:00Z")));
        Assert.Null(MaintenanceWindows.ClosesAt(window, Utc("2026-03-29T02:00:00Z")));
    }

    [Fact]
    public void A_start_the_autumn_overlap_repeats_opens_at_the_first_of_the_two()
    {
        // 2026-10-25, Europe/Berlin: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice (00:30 and 01:30 UTC).
        var window = Window("Europe/Berlin", "02:30", "30m", DayOfWeek.Sunday);

        Assert.Equal(Utc("2026-10-25T00:30:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-10-24T12:00:00Z")));
        Assert.Null(MaintenanceWindows.ClosesAt(window, Utc("2026-10-25T01:30:00Z")));
    }

    [Fact]
    public void A_window_on_several_days_opens_on_the_next_of_them()
    {
        var window = Window("America/New_York", "22:00", "1h", DayOfWeek.Tuesday, DayOfWeek.Thursday);

        // Thursday 2026-12-03 23:30 UTC is 18:30 EST: tonight's window opens at 22:00 EST, 03:00 UTC on Friday.
        Assert.Equal(Utc("2026-12-04T03:00:00Z"), MaintenanceWindows.NextOpening(window, Utc("2026-12-03T23:30:00Z")));
    }
}
