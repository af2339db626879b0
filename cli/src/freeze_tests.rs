use super::*;
use pipeguard_core::freeze::UnreadableFreeze;

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
