//! The readers of people's time: deployment windows, blackouts and freeze durations. Any text
//! ends in a value or an error that quotes it; a schedule that says when it opens is open then.

use crate::config;
use pipeguard_core::freeze::parse_duration;
use pipeguard_core::schedule::{Blackout, Schedule, Window};
use proptest::prelude::*;

/// From 2026-01-01 to 2028-01-01, past several changes of the clocks in every zone below.
const FROM: i64 = 1_767_225_600;
const TO: i64 = 1_830_297_600;

/// Where the clocks change (UTC): Berlin forward and back, New York forward and back, in 2026.
const CLOCK_CHANGES: [i64; 4] = [1_774_746_000, 1_792_890_000, 1_772_953_200, 1_793_512_800];

/// Any moment of the two years, or one within three hours of a change of the clocks.
fn moment() -> impl Strategy<Value = i64> {
    prop_oneof![
        FROM..TO,
        (
            prop::sample::select(CLOCK_CHANGES.to_vec()),
            -3 * 3600i64..3 * 3600
        )
            .prop_map(|(change, offset)| change + offset),
    ]
}

const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Text near the grammar: pieces of valid expressions, glued at random.
pub fn near_window() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "Mon",
        "Fri",
        "-",
        ",",
        " ",
        "daily",
        "09:00",
        "24:00",
        "00:00",
        "99:99",
        ":",
        "UTC",
        "Europe/Berlin",
        "..",
        "2026-12-20",
        "2027-02-29",
        "Mars/Base",
        "\u{2028}",
        "é",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat()),
    ]
}

/// A valid window: some days, a start, a length, a zone.
pub fn window() -> impl Strategy<Value = String> {
    (
        prop::sample::select(DAYS.to_vec()),
        prop::sample::select(DAYS.to_vec()),
        prop_oneof![0u32..24, 0u32..4],
        prop::sample::select(vec![0u32, 15, 30, 45]),
        1u32..24 * 4,
        prop::sample::select(ZONES.to_vec()),
    )
        .prop_map(|(from, to, hour, minute, quarters, zone)| {
            let end = (hour * 60 + minute + quarters * 15) % (24 * 60);
            format!(
                "{from}-{to} {hour:02}:{minute:02}-{:02}:{:02} {zone}",
                end / 60,
                end % 60
            )
        })
}

pub fn blackout() -> impl Strategy<Value = String> {
    (0i64..800, 0i64..40, prop::sample::select(ZONES.to_vec())).prop_map(|(start, length, zone)| {
        let first =
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Duration::days(start);
        let last = first + chrono::Duration::days(length);
        format!("{first}..{last} {zone}")
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any text: a window, a blackout or an error quoting the text; never a panic.
    #[test]
    fn any_text_is_a_window_or_an_error_that_quotes_it(text in near_window()) {
        if let Err(error) = Window::parse(&text) {
            prop_assert!(error.to_string().starts_with(&format!("`{text}`")), "{error}");
            prop_assert!(!error.reason.trim().is_empty());
        }
        if let Err(error) = Blackout::parse(&text) {
            prop_assert!(error.to_string().starts_with(&format!("`{text}`")), "{error}");
        }
    }

    /// A closed schedule's next opening is later and open, and every minute before it is closed:
    /// it is the first opening, not just an open moment (checked minute by minute up to two
    /// days ahead). These schedules always open again within the three years looked ahead (every
    /// window opens each week, and no blackout is longer than 41 days), so a closed one always
    /// says when.
    #[test]
    fn the_next_opening_is_open_and_the_first(
        windows in prop::collection::vec(window(), 0..3),
        blackouts in prop::collection::vec(blackout(), 0..3),
        now in moment(),
    ) {
        let schedule = Schedule::new(
            windows.iter().filter_map(|text| Window::parse(text).ok()).collect(),
            blackouts.iter().filter_map(|text| Blackout::parse(text).ok()).collect(),
        );
        if let Some(closed) = schedule.closed_at(now) {
            prop_assert!(!closed.because.is_empty());
            let Some(opens_at) = closed.opens_at else {
                return Err(TestCaseError::fail(format!("closed at {now} ({}) and never opening", closed.because)));
            };
            prop_assert!(opens_at > now, "{opens_at} <= {now}");
            prop_assert_eq!(schedule.closed_at(opens_at), None, "not open at its opening");
            prop_assert!(!schedule.is_open_at(opens_at - 1), "open before its opening");
            if opens_at - now <= 2 * 24 * 3600 {
                let open_before = (now..opens_at).step_by(60).find(|at| schedule.is_open_at(*at));
                prop_assert_eq!(open_before, None, "open before the opening {}", opens_at);
            }
        }
    }

    /// Any text: a duration of at least a minute and at most a year, or an error quoting it.
    #[test]
    fn any_text_is_a_duration_or_an_error_that_quotes_it(text in prop_oneof![any::<String>(), "[0-9dhm ]{0,12}"]) {
        match parse_duration(&text) {
            Ok(seconds) => prop_assert!((60..=366 * 24 * 3600).contains(&seconds)),
            Err(error) => prop_assert!(error.to_string().contains(&format!("`{text}`")), "{error}"),
        }
    }

    /// Days, hours and minutes, largest first, add up.
    #[test]
    fn durations_add_their_parts(days in 0i64..300, hours in 0i64..24, minutes in 1i64..60) {
        let text = format!("{days}d{hours}h{minutes}m");
        prop_assert_eq!(parse_duration(&text), Ok(days * 86_400 + hours * 3600 + minutes * 60));
    }
}
