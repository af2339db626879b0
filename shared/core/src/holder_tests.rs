use super::*;
use crate::freeze::{Freeze, Unfrozen, UnreadableFreeze};
use crate::selection::PipelineSelection;

const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1";
const NOW: i64 = 1_796_000_000;

fn event(account: Option<&str>) -> HeldBy {
    HeldBy {
        arn: ARN.into(),
        region: "us-east-1".into(),
        account: account.map(str::to_owned),
    }
}

fn freeze(id: &str, until: Option<i64>, coverage: PipelineSelection) -> Freeze {
    Freeze {
        id: id.into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-4211: checkout errors".into(),
        since: NOW - 600,
        until,
        coverage,
        unfrozen: None,
    }
}

fn known<'a>(closed: Result<&'a [bool], &'a str>, freezes: FreezesKnown<'a>) -> Known<'a> {
    Known {
        events_closed: closed,
        release: None,
        freezes,
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &[],
    }
}

fn described(states: &[HolderState]) -> Vec<String> {
    states.iter().map(HolderState::describe).collect()
}

#[test]
fn every_kind_and_state_reads_one_way() {
    let state = |holder: Holder, holding: Holding, until: Option<i64>, detail: Option<Detail>| HolderState {
        holder,
        holding,
        until,
        detail,
        passed_over_by: None,
    };
    let cases = [
        (
            state(
                Holder::HealthEvent(event(Some("222233334444"))),
                Holding::Yes,
                None,
                None,
            ),
            format!("{ARN} (account 222233334444)"),
        ),
        (
            state(Holder::HealthEvent(event(None)), Holding::No, None, None),
            format!("{ARN}: closed"),
        ),
        (
            state(
                Holder::HealthEvent(event(None)),
                Holding::Unknown("AWS Health could not be asked".into()),
                None,
                None,
            ),
            format!("{ARN}: unknown (AWS Health could not be asked)"),
        ),
        (
            state(
                Holder::Freeze("INC-42".into()),
                Holding::Yes,
                Some(1_796_115_600),
                Some(Detail::Reason("checkout errors".into())),
            ),
            "freeze INC-42 (\"checkout errors\"), until 2026-12-01 09:00 UTC".into(),
        ),
        (
            state(
                Holder::Freeze("INC-7".into()),
                Holding::No,
                None,
                Some(Detail::Unreadable("since is missing".into())),
            ),
            "freeze INC-7 (unreadable: since is missing): ended".into(),
        ),
        (
            state(
                Holder::OtherFreezes(12),
                Holding::Unknown("the freezes could not be read".into()),
                None,
                None,
            ),
            "12 more freezes: unknown (the freezes could not be read)".into(),
        ),
        (
            state(
                Holder::Schedule(1_796_115_600),
                Holding::No,
                Some(1_796_115_600),
                None,
            ),
            "the deployment schedule, until 2026-12-01 09:00 UTC: open".into(),
        ),
    ];
    for (state, words) in cases {
        assert_eq!(state.describe(), words);
        assert_eq!(state.still_holds(), state.holding != Holding::No, "{words}");
    }
}

#[test]
fn a_holder_has_a_kind_an_id_and_an_account_only_when_an_event_concerns_one() {
    let in_b = Holder::HealthEvent(event(Some("222233334444")));
    assert_eq!(
        (in_b.kind().name(), in_b.id(), in_b.account()),
        ("health_event", ARN.to_owned(), Some("222233334444"))
    );
    let frozen = Holder::Freeze("INC-42".into());
    assert_eq!(
        (frozen.kind().name(), frozen.id(), frozen.account()),
        ("freeze", "INC-42".to_owned(), None)
    );
    assert_eq!(Holder::OtherFreezes(3).kind(), HolderKind::Freeze);
    assert_eq!(Holder::Schedule(5).kind().name(), "schedule");
}

#[test]
fn a_hold_built_from_its_holders_names_them_again_in_order() {
    let holders = vec![
        Holder::HealthEvent(event(None)),
        Holder::Freeze("INC-42".into()),
        Holder::OtherFreezes(2),
        Holder::Schedule(1_000),
    ];
    let mut hold = Hold::default();
    for holder in holders.clone() {
        hold.add(holder);
    }
    assert_eq!(hold.holders(), holders);
    assert_eq!(
        hold.describe(),
        [ARN, "freeze INC-42", "2 more freezes", "the deployment schedule"]
    );
    hold.add(Holder::Schedule(500));
    assert_eq!(hold.opens_at, Some(1_000), "a hold lasts until the later opening");
}

#[test]
fn a_release_ends_only_the_holder_it_names() {
    let in_a = Holder::HealthEvent(event(Some("111122223333")));
    let public = Holder::HealthEvent(event(None));
    let closed_in_b = Release::EventClosed(EventRef {
        arn: ARN,
        account: Some("222233334444"),
    });
    assert!(!closed_in_b.ends(&in_a), "the same event in another account");
    assert!(
        closed_in_b.ends(&public),
        "a marker that names no account holds by the ARN"
    );
    let unfrozen = Release::Unfrozen("INC-42");
    assert!(unfrozen.ends(&Holder::Freeze("INC-42".into())));
    assert!(!unfrozen.ends(&Holder::Freeze("INC-43".into())));
    assert!(
        unfrozen.ends(&Holder::OtherFreezes(1)),
        "any unfreeze may end a hold by reference"
    );
    assert!(!unfrozen.ends(&Holder::Schedule(1)));
    assert!(!closed_in_b.ends(&Holder::Freeze(ARN.into())));
    assert_eq!(unfrozen.describe(), "freeze INC-42 was unfrozen");
    assert_eq!(
        closed_in_b.describe(),
        format!("AWS Health event {ARN} (account 222233334444) closed")
    );
}

#[test]
fn what_cannot_be_asked_is_unknown_and_still_holds() {
    let hold = Hold {
        events: vec![event(None), event(Some("222233334444"))],
        freezes: vec!["INC-42".into()],
        more_freezes: 3,
        ..Hold::default()
    };
    let states = holders_now(
        &hold,
        &known(
            Err("AWS Health could not be asked"),
            FreezesKnown::Unreadable("no table"),
        ),
        "web-app",
        NOW,
    );
    assert!(states.iter().all(HolderState::still_holds));
    assert_eq!(
        described(&states),
        [
            format!("{ARN}: unknown (AWS Health could not be asked)"),
            format!("{ARN} (account 222233334444): unknown (AWS Health could not be asked)"),
            "freeze INC-42: unknown (no table)".into(),
            "3 more freezes: unknown (no table)".into(),
        ]
    );
    let short = holders_now(
        &hold,
        &known(Ok(&[true]), FreezesKnown::Unreadable("no table")),
        "web-app",
        NOW,
    );
    assert_eq!(short[0].holding, Holding::No);
    assert_eq!(
        short[1].holding,
        Holding::Unknown("AWS Health did not say".into()),
        "an event AWS Health gave no answer for is not taken for closed"
    );
}

#[test]
fn freezes_held_by_reference_are_named_once_the_table_is_read() {
    let hold = Hold {
        freezes: vec!["INC-42".into()],
        more_freezes: 1,
        opens_at: Some(NOW - 1),
        ..Hold::default()
    };
    let mut ended = freeze("INC-40", None, PipelineSelection::Everything);
    ended.unfrozen = Some(Unfrozen {
        at: NOW - 60,
        by: "arn:aws:sts::111122223333:assumed-role/oncall/bob".into(),
    });
    let recorded = RecordedFreezes {
        freezes: vec![
            freeze("INC-42", Some(NOW + 3_600), PipelineSelection::Everything),
            freeze("INC-43", None, PipelineSelection::Prefix("web-".into())),
            freeze("INC-44", None, PipelineSelection::Prefix("api-".into())),
            ended,
        ],
        unreadable: vec![UnreadableFreeze {
            key: "INC-7".into(),
            why: "since is missing".into(),
            coverage: PipelineSelection::Everything,
            unfrozen: None,
        }],
    };
    let states = holders_now(
        &hold,
        &known(Ok(&[]), FreezesKnown::Read(&recorded)),
        "web-app",
        NOW,
    );
    assert_eq!(
        described(&states),
        [
            "freeze INC-42 (\"INC-4211: checkout errors\"), until 2026-11-30 01:53 UTC",
            "freeze INC-43 (\"INC-4211: checkout errors\")",
            "freeze INC-7 (unreadable: since is missing)",
            "the deployment schedule, until 2026-11-30 00:53 UTC: open",
        ],
        "the other pipelines' freeze and the ended one are not named; the schedule has opened"
    );
    let gone = holders_now(
        &Hold {
            freezes: vec!["INC-1".into()],
            ..Hold::default()
        },
        &known(Ok(&[]), FreezesKnown::Read(&recorded)),
        "web-app",
        NOW,
    );
    assert_eq!(
        gone[0].holding,
        Holding::No,
        "a freeze the table no longer has ended long ago"
    );
}

#[test]
fn an_override_in_force_passes_over_what_it_covers_and_a_granted_one_releases_only_its_kinds() {
    use crate::overrides::{Override, OverrideKind};
    let hold = Hold {
        events: vec![event(None)],
        freezes: vec!["INC-42".into()],
        opens_at: Some(NOW + 3600),
        ..Hold::default()
    };
    let granted = Override {
        id: "ovr-1".into(),
        pipeline: "web-app".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-9".into(),
        since: NOW - 60,
        until: NOW + 600,
        kinds: vec![OverrideKind::Freezes],
        ended: None,
    };
    let recorded = RecordedFreezes::from(vec![freeze("INC-42", None, PipelineSelection::Everything)]);
    let in_force = [&granted];
    let with_override = Known {
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &in_force,
        ..known(Ok(&[false]), FreezesKnown::Read(&recorded))
    };
    let states = holders_now(&hold, &with_override, "web-app", NOW);
    assert_eq!(
        (&states[1].holding, states[1].passed_over_by.as_deref()),
        (&Holding::Yes, Some("ovr-1")),
        "still active, and passed over"
    );
    assert!(!states[1].still_holds());
    assert_eq!(
        states[1].describe(),
        "freeze INC-42 (\"INC-4211: checkout errors\"): passed over by override ovr-1"
    );
    assert!(
        states[0].still_holds() && states[2].still_holds(),
        "what it does not cover still holds"
    );

    let release = Release::Overridden {
        pipeline: "web-app",
        kinds: &[OverrideKind::Freezes, OverrideKind::Windows],
    };
    assert_eq!(release.pipeline(), Some("web-app"));
    assert!(release.ends(&Holder::Freeze("INC-42".into())));
    assert!(release.ends(&Holder::OtherFreezes(2)));
    assert!(release.ends(&Holder::Schedule(NOW)));
    assert!(!release.ends(&Holder::HealthEvent(event(None))));
    assert!(release.ends_part_of(&hold));
    assert!(!release.ends_part_of(&Hold::new(vec![event(None)], None)));
    let still = holders_now(
        &hold,
        &Known {
            release: Some(release),
            ..known(Ok(&[false]), FreezesKnown::Read(&recorded))
        },
        "web-app",
        NOW,
    );
    assert!(
        still.iter().filter(|state| state.still_holds()).count() == 3,
        "a release by an override ends nothing by itself: only an override the table holds in force does"
    );
}

#[test]
fn an_override_passes_over_the_holders_only_when_it_covers_what_else_blocked_too() {
    use crate::overrides::{Override, OverrideKind};
    let granted = |kinds: &[OverrideKind]| Override {
        id: "ovr-1".into(),
        pipeline: "web-app".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-9".into(),
        since: NOW - 60,
        until: NOW + 600,
        kinds: kinds.to_vec(),
        ended: None,
    };
    let recorded = RecordedFreezes::from(vec![freeze("INC-42", None, PipelineSelection::Everything)]);
    let held = |hold: &Hold, overrides: &[&Override]| {
        let known = Known {
            overrides,
            ..known(Ok(&[]), FreezesKnown::Read(&recorded))
        };
        holders_now(hold, &known, "web-app", NOW)
            .iter()
            .any(HolderState::still_holds)
    };
    let beside_a_lock = Hold {
        freezes: vec!["INC-42".into()],
        also: vec!["locks".into()],
        ..Hold::default()
    };
    let freezes_only = granted(&[OverrideKind::Freezes]);
    let and_locks = granted(&[OverrideKind::Freezes, OverrideKind::Locks]);
    assert!(
        held(&beside_a_lock, &[&freezes_only]),
        "the running pipeline would fail it again"
    );
    assert!(!held(&beside_a_lock, &[&and_locks]));
    let with_events_left_out = Hold {
        freezes: vec!["INC-42".into()],
        more: 3,
        ..Hold::default()
    };
    assert!(
        held(&with_events_left_out, &[&and_locks]),
        "the events it had no room for"
    );
    let unknown_kind = Hold {
        freezes: vec!["INC-42".into()],
        also: vec!["tides".into()],
        ..Hold::default()
    };
    assert!(
        held(&unknown_kind, &[&granted(&OverrideKind::ALL)]),
        "a kind no override has is never covered"
    );
}

#[test]
fn an_alarm_back_to_ok_ends_only_that_alarm_where_it_lives() {
    use crate::hold::HeldAlarm;
    let alarm = |region: &str| HeldAlarm {
        name: "web-5xx".into(),
        region: region.into(),
        account: "111122223333".into(),
    };
    let hold = Hold {
        alarms: vec![alarm("us-east-1"), alarm("eu-west-1")],
        ..Hold::default()
    };
    let cleared = alarm("us-east-1");
    let release = Release::AlarmCleared(&cleared);
    assert!(release.ends_part_of(&hold));
    let states = holders_now(
        &hold,
        &Known {
            release: Some(release),
            ..known(Ok(&[]), FreezesKnown::Unreadable("no table"))
        },
        "web-app",
        NOW,
    );
    assert_eq!(
        states.iter().map(HolderState::still_holds).collect::<Vec<_>>(),
        [false, true],
        "the same name in another region still holds"
    );
    assert_eq!(
        release.describe(),
        format!("alarm {} is OK again", cleared.describe())
    );
}

#[test]
fn a_held_alarm_holds_until_cloudwatch_says_ok_and_only_the_stacks_account_is_asked() {
    use crate::alarm::{AlarmKind, AlarmPlace, AlarmReading, AlarmState};
    use crate::hold::HeldAlarm;
    const OWN: &str = "111122223333";
    let held = |name: &str, account: &str| HeldAlarm {
        name: name.into(),
        region: "us-east-1".into(),
        account: account.into(),
    };
    let reading = |name: &str, state: AlarmState| AlarmReading {
        name: name.into(),
        arn: format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:{name}"),
        place: AlarmPlace {
            region: "us-east-1".into(),
            account: OWN.into(),
        },
        kind: AlarmKind::Metric,
        state,
        reason: "Threshold Crossed".into(),
        since: Some(NOW - 60),
    };
    let hold = Hold {
        alarms: vec![
            held("web-5xx", OWN),
            held("web-latency", OWN),
            held("web-gone", OWN),
            held("db-cpu", "222233334444"),
            held("web-quiet", OWN),
        ],
        ..Hold::default()
    };
    let readings = [
        reading("web-5xx", AlarmState::Ok),
        reading("web-latency", AlarmState::Alarm),
        reading("web-quiet", AlarmState::InsufficientData),
    ];
    let states = holders_now(
        &hold,
        &Known {
            alarms: AlarmsKnown::Read {
                account: OWN,
                readings: &readings,
            },
            ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
        },
        "web-app",
        NOW,
    );
    let holding: Vec<String> = states
        .iter()
        .map(|state| match &state.holding {
            Holding::Yes => "yes".to_owned(),
            Holding::No => "no".to_owned(),
            Holding::Unknown(why) => format!("unknown: {why}"),
        })
        .collect();
    assert_eq!(
        holding[..3],
        ["no", "yes", "no"],
        "OK ends it; one CloudWatch no longer has holds no more"
    );
    assert!(
        holding[3].starts_with("unknown: ") && holding[3].contains("222233334444"),
        "another account's alarm is not asked: {}",
        holding[3]
    );
    assert_eq!(holding[4], "yes", "only OK is clear, as the resume rule has it");
    let unread = holders_now(
        &hold,
        &Known {
            alarms: AlarmsKnown::Unreadable("CloudWatch DescribeAlarms timed out"),
            ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
        },
        "web-app",
        NOW,
    );
    assert!(
        unread
            .iter()
            .all(|state| matches!(&state.holding, Holding::Unknown(why) if why.contains("timed out") || why.contains("222233334444"))),
        "{unread:?}"
    );
}

#[test]
fn a_late_clearing_event_does_not_end_an_alarm_cloudwatch_has_just_said_fires() {
    use crate::alarm::{AlarmKind, AlarmPlace, AlarmReading, AlarmState};
    use crate::hold::HeldAlarm;
    let held = HeldAlarm {
        name: "web-5xx".into(),
        region: "us-east-1".into(),
        account: "111122223333".into(),
    };
    let hold = Hold {
        alarms: vec![held.clone()],
        ..Hold::default()
    };
    let reading = |state| AlarmReading {
        name: "web-5xx".into(),
        arn: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-5xx".into(),
        place: AlarmPlace {
            region: "us-east-1".into(),
            account: "111122223333".into(),
        },
        kind: AlarmKind::Metric,
        state,
        reason: "Threshold Crossed".into(),
        since: Some(NOW - 10),
    };
    for (now_says, holds) in [(AlarmState::Alarm, true), (AlarmState::Ok, false)] {
        let readings = [reading(now_says.clone())];
        let states = holders_now(
            &hold,
            &Known {
                release: Some(Release::AlarmCleared(&held)),
                alarms: AlarmsKnown::Read {
                    account: "111122223333",
                    readings: &readings,
                },
                ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
            },
            "web-app",
            NOW,
        );
        assert_eq!(states[0].still_holds(), holds, "{now_says:?}");
    }
    // Where CloudWatch is not asked, the clearing is believed.
    let states = holders_now(
        &hold,
        &Known {
            release: Some(Release::AlarmCleared(&held)),
            ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
        },
        "web-app",
        NOW,
    );
    assert!(!states[0].still_holds());
}

#[test]
fn alarms_the_marker_had_no_room_for_keep_the_stage_held_though_the_named_ones_are_ok() {
    use crate::alarm::{AlarmKind, AlarmPlace, AlarmReading, AlarmState};
    use crate::hold::HeldAlarm;
    let held = HeldAlarm {
        name: "web-5xx".into(),
        region: "us-east-1".into(),
        account: "111122223333".into(),
    };
    let hold = Hold {
        alarms: vec![held.clone()],
        more_alarms: 3,
        ..Hold::default()
    };
    let readings = [AlarmReading {
        name: "web-5xx".into(),
        arn: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-5xx".into(),
        place: AlarmPlace {
            region: "us-east-1".into(),
            account: "111122223333".into(),
        },
        kind: AlarmKind::Metric,
        state: AlarmState::Ok,
        reason: "Threshold Crossed".into(),
        since: Some(NOW - 10),
    }];
    let states = holders_now(
        &hold,
        &Known {
            alarms: AlarmsKnown::Read {
                account: "111122223333",
                readings: &readings,
            },
            ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
        },
        "web-app",
        NOW,
    );
    assert!(states[0].still_holds(), "{states:?}");
    assert!(
        states[0].describe().contains("no room for 3 more alarms"),
        "{}",
        states[0].describe()
    );
    let cleared = holders_now(
        &hold,
        &Known {
            release: Some(Release::AlarmCleared(&held)),
            ..known(Ok(&[]), FreezesKnown::Read(RecordedFreezes::NONE))
        },
        "web-app",
        NOW,
    );
    assert!(
        cleared[0].still_holds(),
        "the named one's clearing says nothing of the others"
    );
}
