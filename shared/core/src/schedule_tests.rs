use super::*;

/// Seconds since the Unix epoch of a UTC time written `YYYY-MM-DD HH:MM`.
fn utc(text: &str) -> i64 {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .map(|time| time.and_utc().timestamp())
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn windows(expressions: &[&str]) -> Schedule {
    Schedule::new(
        expressions
            .iter()
            .map(|text| Window::parse(text).unwrap())
            .collect(),
        Vec::new(),
    )
}

#[test]
fn a_window_is_open_on_its_days_between_its_times_in_its_zone() {
    // Berlin is UTC+1 in December: 09:00-16:00 there is 08:00-15:00 UTC.
    let schedule = windows(&["Mon-Thu 09:00-16:00 Europe/Berlin"]);
    // 2026-12-03 is a Thursday.
    assert_eq!(schedule.closed_at(utc("2026-12-03 08:00")), None);
    assert_eq!(schedule.closed_at(utc("2026-12-03 14:59")), None);
    let after = schedule.closed_at(utc("2026-12-03 15:00")).unwrap();
    assert_eq!(
        after.because,
        "outside the deployment window Mon-Thu 09:00-16:00 Europe/Berlin"
    );
    // Friday to Sunday are closed; it opens again on Monday 2026-12-07 at 09:00 Berlin.
    assert_eq!(after.opens_at, Some(utc("2026-12-07 08:00")));
    let before = schedule.closed_at(utc("2026-12-03 07:59")).unwrap();
    assert_eq!(before.opens_at, Some(utc("2026-12-03 08:00")));
}

#[test]
fn daylight_saving_time_moves_the_window_with_the_clocks() {
    let schedule = windows(&["daily 09:00-10:00 Europe/Berlin"]);
    // Summer: UTC+2, so 09:00 Berlin is 07:00 UTC.
    assert_eq!(schedule.closed_at(utc("2026-07-01 07:30")), None);
    assert!(schedule.closed_at(utc("2026-07-01 08:30")).is_some());
    // Winter: UTC+1.
    assert!(schedule.closed_at(utc("2026-12-01 07:30")).is_some());
    assert_eq!(schedule.closed_at(utc("2026-12-01 08:30")), None);
    // The night the clocks go forward (2026-03-29), the opening after it is 07:00 UTC.
    let closed = schedule.closed_at(utc("2026-03-29 00:30")).unwrap();
    assert_eq!(closed.opens_at, Some(utc("2026-03-29 07:00")));
}

#[test]
fn a_window_that_starts_in_the_hour_the_clocks_skip_opens_when_the_clocks_land() {
    // 2026-03-08: New York's clocks jump from 02:00 to 03:00 (07:00 UTC).
    let schedule = windows(&["Sun 02:30-04:00 America/New_York"]);
    let closed = schedule.closed_at(utc("2026-03-08 06:00")).unwrap();
    assert_eq!(closed.opens_at, Some(utc("2026-03-08 07:00")));
    assert_eq!(schedule.closed_at(utc("2026-03-08 07:00")), None);
}

#[test]
fn a_window_in_the_hour_the_clocks_go_back_reopens_in_its_second_pass() {
    // 2026-11-01: New York's clocks go back from 02:00 EDT to 01:00 EST (06:00 UTC), so 01:00
    // happens twice: at 05:00 UTC and at 06:00 UTC.
    let schedule = windows(&["daily 01:00-01:30 America/New_York"]);
    assert_eq!(schedule.closed_at(utc("2026-11-01 05:10")), None);
    let between = schedule.closed_at(utc("2026-11-01 05:45")).unwrap();
    assert_eq!(between.opens_at, Some(utc("2026-11-01 06:00")));
    assert!(schedule.is_open_at(utc("2026-11-01 06:00")));
    // A window that does not start in the repeated hour but covers it opens again when the
    // clocks go back (01:00 EST, 06:00 UTC).
    let covering = windows(&["daily 00:30-01:15 America/New_York"]);
    let closed = covering.closed_at(utc("2026-11-01 05:20")).unwrap();
    assert_eq!(closed.opens_at, Some(utc("2026-11-01 06:00")));
}

#[test]
fn a_window_may_run_past_midnight_and_belongs_to_the_day_it_starts() {
    let schedule = windows(&["Fri 22:00-02:00 UTC"]);
    // 2026-12-04 is a Friday.
    assert_eq!(schedule.closed_at(utc("2026-12-04 23:00")), None);
    assert_eq!(schedule.closed_at(utc("2026-12-05 01:59")), None);
    assert!(schedule.closed_at(utc("2026-12-05 02:00")).is_some());
    // Thursday night is not Friday's window.
    let thursday = schedule.closed_at(utc("2026-12-04 01:00")).unwrap();
    assert_eq!(thursday.opens_at, Some(utc("2026-12-04 22:00")));
}

#[test]
fn day_lists_and_ranges_that_wrap_past_sunday() {
    let schedule = windows(&["Fri-Mon 00:00-24:00 UTC"]);
    // Thursday 2026-12-03 closed, Friday to Monday open, Tuesday closed.
    assert!(schedule.closed_at(utc("2026-12-03 12:00")).is_some());
    for day in ["2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"] {
        assert_eq!(schedule.closed_at(utc(&format!("{day} 12:00"))), None, "{day}");
    }
    assert!(schedule.closed_at(utc("2026-12-08 12:00")).is_some());
    let listed = windows(&["mon,WED 10:00-11:00 UTC"]);
    assert_eq!(listed.closed_at(utc("2026-12-02 10:30")), None);
    assert!(listed.closed_at(utc("2026-12-01 10:30")).is_some());
}

#[test]
fn any_open_window_lets_the_deploy_start() {
    let schedule = windows(&["Mon 09:00-10:00 UTC", "Tue 09:00-10:00 UTC"]);
    assert_eq!(schedule.closed_at(utc("2026-12-01 09:30")), None);
    let closed = schedule.closed_at(utc("2026-12-01 10:30")).unwrap();
    assert_eq!(
        closed.because,
        "outside every deployment window (Mon 09:00-10:00 UTC; Tue 09:00-10:00 UTC)"
    );
    assert_eq!(closed.opens_at, Some(utc("2026-12-07 09:00")));
}

#[test]
fn a_blackout_covers_whole_days_in_its_zone_and_ends_at_midnight_after_its_last() {
    let schedule = Schedule::new(
        Vec::new(),
        vec![Blackout::parse("2026-12-20..2027-01-04 Europe/Berlin").unwrap()],
    );
    // 23:30 UTC on the 19th is already the 20th in Berlin.
    let closed = schedule.closed_at(utc("2026-12-19 23:30")).unwrap();
    assert_eq!(closed.because, "blackout 2026-12-20..2027-01-04 Europe/Berlin");
    assert_eq!(closed.opens_at, Some(utc("2027-01-04 23:00")));
    assert_eq!(schedule.closed_at(utc("2026-12-19 22:59")), None);
    assert_eq!(schedule.closed_at(utc("2027-01-04 23:00")), None);
}

#[test]
fn after_a_blackout_the_next_opening_is_the_first_window_not_in_it() {
    let schedule = Schedule::new(
        vec![Window::parse("Mon-Fri 09:00-17:00 UTC").unwrap()],
        vec![Blackout::parse("2026-12-24..2026-12-27 UTC").unwrap()],
    );
    // Thursday the 24th to Sunday the 27th are blacked out; Monday the 28th opens at 09:00.
    let closed = schedule.closed_at(utc("2026-12-24 10:00")).unwrap();
    assert_eq!(closed.because, "blackout 2026-12-24..2026-12-27 UTC");
    assert_eq!(closed.opens_at, Some(utc("2026-12-28 09:00")));
    let single_day = Schedule::new(Vec::new(), vec![Blackout::parse("2026-12-25 UTC").unwrap()]);
    assert_eq!(
        single_day.closed_at(utc("2026-12-25 12:00")).unwrap().opens_at,
        Some(utc("2026-12-26 00:00"))
    );
}

#[test]
fn a_blackout_over_a_window_past_midnight_ends_inside_it() {
    let schedule = Schedule::new(
        vec![Window::parse("daily 22:00-02:00 UTC").unwrap()],
        vec![Blackout::parse("2026-12-24 UTC").unwrap()],
    );
    let closed = schedule.closed_at(utc("2026-12-24 23:00")).unwrap();
    assert_eq!(closed.opens_at, Some(utc("2026-12-25 00:00")));
}

#[test]
fn no_restriction_means_always_open() {
    let schedule = Schedule::default();
    assert!(schedule.is_empty());
    assert_eq!(schedule.closed_at(utc("2026-12-01 03:00")), None);
}

#[test]
fn bad_expressions_are_quoted_with_what_is_wrong() {
    let cases = [
        ("Mon-Thu 09:00-16:00", "expected `DAYS HH:MM-HH:MM ZONE`"),
        (
            "Mon-Thu 09:00-16:00 Mars/Olympus",
            "`Mars/Olympus` is not an IANA time zone",
        ),
        // Zones as the IANA database spells them, as before: no other case, no placeholder zone.
        (
            "Mon-Thu 09:00-16:00 europe/berlin",
            "`europe/berlin` is not an IANA time zone",
        ),
        ("Mon 09:00-16:00 utc", "`utc` is not an IANA time zone"),
        (
            "Mon 09:00-16:00 Etc/Unknown",
            "`Etc/Unknown` is not an IANA time zone",
        ),
        ("Mon 09:00-16:00 Factory", "`Factory` is not an IANA time zone"),
        ("Mon-Thx 09:00-16:00 UTC", "`Thx` is not a day"),
        ("Mon 9:00-16:00 UTC", "`9:00` is not a time of day"),
        ("Mon 09:60-16:00 UTC", "`09:60` is not a time of day"),
        ("Mon 09:00-24:01 UTC", "`24:01` is not a time of day"),
        ("Mon 0900-1600 UTC", "`0900` is not a time of day"),
        ("Mon 09:00 UTC", "`09:00` is not a time range"),
        ("Mon 09:00-09:00 UTC", "this window never opens"),
        ("Mon 24:00-02:00 UTC", "cannot start at 24:00"),
    ];
    for (expression, expected) in cases {
        let error = Window::parse(expression).unwrap_err();
        assert_eq!(error.expression, expression);
        assert!(error.to_string().contains(expected), "{expression}: {error}");
        assert!(error.to_string().starts_with(&format!("`{expression}`")));
    }
    let blackouts = [
        ("2026-12-20..2027-01-04", "expected `FIRST..LAST ZONE`"),
        (
            "2027-01-04..2026-12-20 UTC",
            "ends (2026-12-20) before it begins (2027-01-04)",
        ),
        ("2026-02-30 UTC", "`2026-02-30` is not a date"),
        (
            "2026-12-20..2027-01-04 Nowhere",
            "`Nowhere` is not an IANA time zone",
        ),
    ];
    for (expression, expected) in blackouts {
        let error = Blackout::parse(expression).unwrap_err();
        assert!(error.to_string().contains(expected), "{expression}: {error}");
    }
}

#[test]
fn a_whole_day_window_and_one_ending_at_midnight() {
    let whole = windows(&["Sat 00:00-24:00 UTC"]);
    assert_eq!(whole.closed_at(utc("2026-12-05 00:00")), None);
    assert_eq!(whole.closed_at(utc("2026-12-05 23:59")), None);
    assert!(whole.closed_at(utc("2026-12-06 00:00")).is_some());
    let to_midnight = windows(&["Sat 20:00-00:00 UTC"]);
    assert_eq!(to_midnight.closed_at(utc("2026-12-05 23:59")), None);
    assert!(to_midnight.closed_at(utc("2026-12-06 00:00")).is_some());
}

#[test]
fn describes_times_in_utc() {
    assert_eq!(describe_time(utc("2026-12-07 08:00")), "2026-12-07 08:00 UTC");
}

#[test]
fn zones_are_the_iana_databases_own_names_and_links() {
    for zone in [
        "UTC",
        "Etc/UTC",
        "US/Eastern",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
    ] {
        let window = format!("Mon 09:00-10:00 {zone}");
        assert!(Window::parse(&window).is_ok(), "{window}");
    }
    // Half-hour offsets, and a zone whose clocks move by 30 minutes: Monday 09:30 in Kolkata is
    // 04:00 UTC.
    let schedule = windows(&["Mon 09:30-10:00 Asia/Kolkata"]);
    assert_eq!(schedule.closed_at(utc("2026-12-07 04:00")), None);
    assert!(schedule.closed_at(utc("2026-12-07 03:59")).is_some());
}

#[test]
fn a_local_time_is_one_instant_two_when_the_clocks_go_back_and_none_when_they_skip_it() {
    let new_york = Zone::named("America/New_York").unwrap();
    let local = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    assert_eq!(
        new_york.instants(local("2026-06-01 12:00")),
        LocalResult::Single(utc("2026-06-01 16:00"))
    );
    assert_eq!(
        new_york.instants(local("2026-11-01 01:30")),
        LocalResult::Ambiguous(utc("2026-11-01 05:30"), utc("2026-11-01 06:30"))
    );
    assert_eq!(new_york.instants(local("2026-03-08 02:30")), LocalResult::None);
    assert_eq!(
        new_york.local(DateTime::from_timestamp(utc("2026-11-01 06:30"), 0).unwrap()),
        local("2026-11-01 01:30")
    );
}
