//! The hold marker: the line the gate ends a failure message with reads back as the same AWS
//! Health events (less those left out to keep it short, counted); no text panics the reader,
//! text without the marker holds nothing, and stage-retry reads the holds of a stage's failed
//! actions whatever their messages say.

use crate::config;
use crate::json::short_text;
use pipeguard_core::gate::{self, Blocker, GateOutcome, HealthCheck};
use pipeguard_core::health::{EventCategory, EventStatus, HealthEvent, HealthSource};
use pipeguard_core::hold::{GateActions, GateFunctions, HeldBy, Hold};
use pipeguard_core::job::{FailureKind, JobResult};
use pipeguard_core::pipeline::{ActionSnapshot, ActionStatus, DeclaredAction, StageSnapshot, StageStatus};
use pipeguard_core::retry::held_stages;
use pipeguard_core::schedule::Closed;
use proptest::prelude::*;

const PREFIX: &str = "pipeguard:hold:v";
/// The marker's length limit.
const MAX_MARKER_CHARS: usize = 2000;

fn arn() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "arn:aws(-cn|-us-gov)?:health:([a-z]{2}-[a-z]{4,9}-[1-9]|global)::event/[A-Z0-9]{2,10}/[A-Z_]{5,40}/[A-Za-z0-9_]{1,60}",
        1 => short_text(),
        1 => "\\PC{0,100}",
    ]
}

fn region() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z]{2}-[a-z]{4,9}-[1-9]|global", 1 => short_text()]
}

fn source() -> impl Strategy<Value = Option<HealthSource>> {
    prop::option::of(prop_oneof![Just(HealthSource::Api), Just(HealthSource::Events)])
}

/// The account an account-specific event concerns: an account id, or any text a marker may say.
fn account() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![3 => "[0-9]{12}", 1 => short_text()])
}

fn held() -> impl Strategy<Value = Vec<HeldBy>> {
    prop::collection::vec(
        (arn(), region(), account()).prop_map(|(arn, region, account)| HeldBy { arn, region, account }),
        1..40,
    )
}

/// A few freeze ids, as `pipeguard freeze` makes them or any text: few enough that the marker
/// keeps them all once its events are dropped.
fn freezes() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop_oneof![3 => "[a-z0-9-]{1,40}", 1 => "\\PC{0,20}"], 0..4)
}

/// When a closed deployment window opens: any second, or one of the next three years.
fn opens_at() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(prop_oneof![
        any::<i64>(),
        1_796_000_000i64..1_796_000_000 + 3 * 366 * 86_400
    ])
}

/// A hold as the gate writes it: events, freezes, a window's opening, the time it began.
fn hold() -> impl Strategy<Value = Hold> {
    (
        held(),
        source(),
        freezes(),
        opens_at(),
        prop::option::of(any::<i64>()),
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec!["locks", "alarms", "freezes", "windows", "health"])
                    .prop_map(str::to_owned),
                "[a-z]{0,8}",
            ],
            0..3,
        ),
    )
        .prop_map(|(events, source, freezes, opens_at, since, also)| Hold {
            freezes,
            opens_at,
            since,
            also,
            ..Hold::new(events, source)
        })
}

/// Text a failure message may hold: anything, or pieces of ARNs, markers and cuts run together.
fn message_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "arn:",
        "aws",
        "aws-cn",
        ":",
        "health",
        "us-east-1",
        "global",
        "::",
        "event/",
        "EC2",
        "/",
        "X",
        "1",
        ".",
        " ",
        "\n",
        "\r\n",
        "(",
        ")",
        PREFIX,
        "2",
        "{",
        "}",
        "\"events\"",
        "[",
        "]",
        "\"arn\"",
        "\"region\"",
        "\"more\"",
        "\"source\"",
        "\"api\"",
        ",",
        "18446744073709551615",
        "é",
        "😀",
        "\u{2028}",
        "\t",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat()),
    ]
}

/// The marker `hold` writes, as a full `Hold` of what it keeps: its events up to `kept`, the
/// rest counted in `more`.
fn kept(hold: &Hold, kept: usize) -> Hold {
    Hold {
        events: hold.events[..kept].to_vec(),
        more: hold.more + hold.events.len() - kept,
        ..hold.clone()
    }
}

fn marker_length(hold: &Hold) -> usize {
    serde_json::to_string(hold).map_or(0, |json| PREFIX.len() + 2 + json.chars().count())
}

/// `read` is `hold` with events dropped from the end, and only as many as the limit needs; its
/// freezes, window opening and the rest kept whole.
fn check_read_back(hold: &Hold, read: Option<Hold>) -> Result<(), TestCaseError> {
    let Some(read) = read else {
        // Nothing fitted: even one event is too long for the marker, and nothing else holds.
        prop_assert!(
            hold.freezes.is_empty() && hold.opens_at.is_none(),
            "{hold:?} was lost with its freezes or window"
        );
        prop_assert!(
            marker_length(&kept(hold, 1)) > MAX_MARKER_CHARS,
            "{hold:?} was lost"
        );
        return Ok(());
    };
    let count = read.events.len();
    prop_assert!(count <= hold.events.len());
    prop_assert_eq!(&read, &kept(hold, count));
    if count < hold.events.len() {
        prop_assert!(
            marker_length(&kept(hold, count + 1)) > MAX_MARKER_CHARS,
            "dropped an event that fitted"
        );
    }
    Ok(())
}

pub fn health_event(held: &HeldBy) -> HealthEvent {
    HealthEvent {
        arn: held.arn.clone(),
        service: "EC2".into(),
        event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
        category: EventCategory::Issue,
        region: held.region.clone(),
        status: EventStatus::Open,
        account: held.account.clone(),
        start_time: Some(1_763_800_000),
    }
}

/// A stage's action: failed or not, with a message of any text or ending with a marker.
fn action() -> impl Strategy<Value = ActionSnapshot> {
    // Counts of events left out: a few, or any, the largest most often.
    let more = prop_oneof![0usize..3, any::<usize>(), usize::MAX - 3..=usize::MAX];
    // Written out rather than by `Hold::marker`: the gate only writes holds that left nothing
    // out yet, but a message can say any count.
    let marker = (hold(), more).prop_map(|(hold, more)| {
        let hold = Hold { more, ..hold };
        format!("{PREFIX}1 {}", serde_json::to_string(&hold).unwrap_or_default())
    });
    let message = prop_oneof![
        1 => message_text(),
        3 => (message_text(), marker).prop_map(|(text, marker)| format!("{text}\n{marker}")),
    ];
    (prop::bool::weighted(0.8), prop::option::weighted(0.9, message)).prop_map(|(failed, error_message)| {
        ActionSnapshot {
            name: "Gate".into(),
            status: Some(if failed {
                ActionStatus::Failed
            } else {
                ActionStatus::Succeeded
            }),
            error_code: Some("JobFailed".into()),
            error_message,
        }
    })
}

proptest! {
    #![proptest_config(config())]

    /// A marker read back from a failure message is the hold written (its events' accounts, its
    /// freezes, its window's opening and when it began), whatever text precedes it.
    #[test]
    fn a_marker_reads_back_as_the_hold_written(hold in hold(), text in message_text()) {
        let marker = hold.marker();
        prop_assert!(marker.chars().count() <= MAX_MARKER_CHARS, "{marker}");
        let result = JobResult::failure_with_trailer(FailureKind::JobFailed, &text, &marker);
        check_read_back(&hold, Hold::read(result.text()))?;
    }

    /// However many freezes hold a stage, its failure keeps its marker: the freezes that fit by
    /// name, the rest counted (held by reference), and no event kept while a freeze was dropped.
    #[test]
    fn any_number_of_freezes_keeps_the_marker(events in held(), freezes in prop::collection::vec("[a-z0-9-]{1,40}", 0..600), text in message_text()) {
        let hold = Hold { freezes: freezes.clone(), since: Some(1_796_000_000), ..Hold::new(events, None) };
        let marker = hold.marker();
        prop_assert!(marker.chars().count() <= MAX_MARKER_CHARS, "{marker}");
        let result = JobResult::failure_with_trailer(FailureKind::JobFailed, &text, &marker);
        let read = Hold::read(result.text());
        prop_assert!(read.is_some(), "the marker was lost");
        let read = read.unwrap_or_default();
        prop_assert_eq!(read.freezes.len() + read.more_freezes, freezes.len());
        prop_assert_eq!(&read.freezes[..], &freezes[..read.freezes.len()]);
        prop_assert!(read.more_freezes == 0 || read.events.is_empty(), "a freeze dropped before the events");
    }

    /// The gate's own failure for blocking events (and a closed window) carries the marker for
    /// exactly those events, in their accounts, and the window's opening.
    #[test]
    fn the_gates_failure_names_the_events_that_blocked(
        events in held(),
        source in prop_oneof![Just(HealthSource::Api), Just(HealthSource::Events)],
        window in prop::option::of(opens_at()),
    ) {
        let mut blockers: Vec<Blocker> = events.iter().map(|held| Blocker::HealthEvent(health_event(held))).collect();
        if let Some(opens_at) = window {
            blockers.push(Blocker::OutsideWindow(Closed { because: "outside the deployment window Mon 09:00-17:00 UTC".into(), opens_at }));
        }
        let health = HealthCheck::Asked { source, caveat: None };
        let result = gate::render(&GateOutcome::Blocked { blockers, health, at: 1_796_000_000 });
        // A window that never opens holds nothing, and is marked as what also blocked.
        let also = if window == Some(None) { vec!["windows".to_owned()] } else { Vec::new() };
        let written = Hold { since: Some(1_796_000_000), opens_at: window.flatten(), also, ..Hold::new(events, Some(source)) };
        check_read_back(&written, Hold::read(result.text()))?;
    }

    /// Any text: no panic; text without a marker holds nothing, and a hold names at least one
    /// thing that holds: an event, a freeze or a deployment window.
    #[test]
    fn any_text_is_no_hold_or_a_hold_of_something(text in message_text()) {
        if let Some(hold) = Hold::read(&text) {
            prop_assert!(hold.holds_anything());
        }
        if !text.contains(PREFIX) {
            prop_assert_eq!(Hold::read(&text), None, "no marker, no hold: {}", text);
        }
    }

    /// The last marker wins, whatever comes before it.
    #[test]
    fn the_last_marker_wins(text in message_text(), hold in hold()) {
        let marker = hold.marker();
        let alone = Hold::read(&marker);
        prop_assert!(alone.is_some(), "the marker reads on its own: {}", marker);
        prop_assert_eq!(Hold::read(&format!("{text}\n{marker}")), alone);
    }

    /// stage-retry's reading of a stage: the holds of its failed actions together, whatever
    /// their messages are, with every count of events left out.
    #[test]
    fn a_stage_reads_as_the_holds_of_its_failed_actions(actions in prop::collection::vec(action(), 0..4)) {
        let stage = StageSnapshot {
            name: "Gate".into(),
            execution_id: Some("e1".into()),
            status: Some(StageStatus::Failed),
            actions,
            ..StageSnapshot::default()
        };
        let stages = [stage];
        let holds: Vec<Hold> = stages[0]
            .failed_actions()
            .filter_map(|action| action.error_message.as_deref().and_then(Hold::read))
            .collect();
        // Every action invokes the gate: its marker holds. No action does: nothing holds.
        let declared: Vec<DeclaredAction> = stages[0]
            .actions
            .iter()
            .map(|action| DeclaredAction {
                stage: "Gate".into(),
                name: action.name.clone(),
                invokes: Some("pipeguard-HealthGate".into()),
            })
            .collect();
        let gate = GateFunctions::from_env(|_| Some("pipeguard-HealthGate".into())).unwrap_or_default();
        prop_assert!(held_stages(&stages, None, &GateActions::default()).is_empty());
        let held = held_stages(&stages, None, &GateActions::of(&declared, &gate));
        prop_assert_eq!(held.len(), usize::from(!holds.is_empty()));
        if let Some((_, hold)) = held.first() {
            for event in &hold.events {
                prop_assert!(holds.iter().any(|one| one.events.contains(event)));
            }
            for one in &holds {
                prop_assert!(one.events.iter().all(|event| hold.events.contains(event)));
                prop_assert!(hold.more >= one.more);
            }
        }
    }
}
