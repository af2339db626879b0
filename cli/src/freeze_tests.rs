use super::*;

fn unreadable(key: &str) -> RecordedFreezes {
    RecordedFreezes {
        freezes: Vec::new(),
        unreadable: vec![UnreadableFreeze {
            key: key.into(),
            why: "since is missing".into(),
            coverage: PipelineSelection::Everything,
            unfrozen: None,
        }],
    }
}

#[test]
fn an_unreadable_item_is_named_by_its_key_as_written_or_as_listed() {
    let key = "INC-1\u{1b}[2J";
    let recorded = unreadable(key);
    let listed = printable(key).into_owned();
    assert_ne!(listed, key, "listed escaped");
    for id in [key, listed.as_str()] {
        let chosen = chosen_by_id(&recorded, id, 0).unwrap_or_default();
        assert_eq!(chosen.unreadable.len(), 1, "{id:?}");
    }
    assert!(chosen_by_id(&recorded, "INC-1", 0).is_err(), "no other key");
}

const IC: &str = "arn:aws:iam::111111111111:user/ic";
/// The time the command line reads as now.
const NOW: i64 = 1_796_010_000;

fn frozen(id: &str, until: Option<i64>, unfrozen_at: Option<i64>) -> Freeze {
    Freeze {
        id: id.into(),
        by: IC.into(),
        reason: "INC-4211".into(),
        since: 1_796_000_000,
        until,
        coverage: PipelineSelection::Everything,
        unfrozen: unfrozen_at.map(|at| Unfrozen { at, by: IC.into() }),
    }
}

/// Freezes ended by hand, ended by their end time, and active, readable or not.
fn recorded() -> RecordedFreezes {
    let mut recorded = RecordedFreezes::from(vec![
        frozen("frz-by-hand", None, Some(1_796_000_600)),
        frozen("frz-by-time", Some(1_796_007_200), None),
        frozen("frz-active", Some(NOW + 60), None),
        frozen("frz-until-unfrozen", None, None),
    ]);
    let mut ended_unreadable = unreadable("INC-1").unreadable;
    ended_unreadable[0].unfrozen = Some(Unfrozen {
        at: 1_796_000_900,
        by: IC.into(),
    });
    recorded.unreadable = [ended_unreadable, unreadable("INC-2").unreadable].concat();
    recorded
}

#[test]
fn a_freeze_that_ended_by_hand_or_by_its_end_time_is_said_to_have_ended_not_ended_again() {
    for (id, at) in [
        ("frz-by-hand", 1_796_000_600),
        ("frz-by-time", 1_796_007_200),
        ("INC-1", 1_796_000_900),
    ] {
        match chosen_by_id(&recorded(), id, NOW) {
            Err(Problem::Usage(message)) => {
                assert_eq!(
                    message,
                    format!("freeze {id} already ended at {}", describe_time(at))
                );
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    let chosen = chosen_by_id(&recorded(), "frz-active", NOW).unwrap_or_default();
    assert_eq!(chosen.freezes, [frozen("frz-active", Some(NOW + 60), None)]);
}

#[test]
fn unfreeze_all_chooses_every_active_freeze_readable_or_not_and_none_that_ended() {
    let chosen = active_only(recorded(), NOW);
    let ids: Vec<&str> = chosen
        .freezes
        .iter()
        .map(|freeze| freeze.id.as_str())
        .chain(chosen.unreadable.iter().map(|unreadable| unreadable.key.as_str()))
        .collect();
    assert_eq!(ids, ["frz-active", "frz-until-unfrozen", "INC-2"]);
}
