use super::*;
use serde_json::json;

#[test]
fn reads_round_up_to_4_kb_and_halve_when_eventually_consistent() {
    assert_eq!(read_units(1, true), 1.0);
    assert_eq!(read_units(4096, true), 1.0);
    assert_eq!(read_units(4097, true), 2.0);
    assert_eq!(read_units(4097, false), 1.0);
    assert_eq!(read_units(3 * 4096 + 1, false), 2.0);
    // A read of nothing (a missing item, an empty partition) still consumes a unit.
    assert_eq!(read_units(0, true), 1.0);
    assert_eq!(read_units(0, false), 0.5);
}

#[test]
fn writes_round_up_to_1_kb() {
    assert_eq!(write_units(0), 1.0);
    assert_eq!(write_units(1024), 1.0);
    assert_eq!(write_units(1025), 2.0);
    assert_eq!(write_units(10 * 1024), 10.0);
}

fn index_read() -> Consumed {
    Consumed {
        table: "events".into(),
        kind: Kind::Read,
        table_units: None,
        indexes: vec![("open".into(), 1.5)],
    }
}

#[test]
fn the_answer_is_the_total_or_the_total_with_its_parts() {
    let write = Consumed {
        table: "events".into(),
        kind: Kind::Write,
        table_units: Some(2.0),
        indexes: vec![("open".into(), 1.0)],
    };
    assert_eq!(write.answer(Report::None), None);
    assert_eq!(
        write.answer(Report::Total),
        Some(json!({"TableName": "events", "CapacityUnits": 3.0}))
    );
    assert_eq!(
        write.answer(Report::Indexes),
        Some(
            json!({"TableName": "events", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 2.0},
                    "GlobalSecondaryIndexes": {"open": {"CapacityUnits": 1.0}}})
        )
    );
    assert_eq!(
        write.for_call(),
        CallCapacity {
            read_units: 0.0,
            write_units: 3.0,
            index: None,
        }
    );
    // A Query of an index reads the index alone.
    assert_eq!(
        index_read().answer(Report::Indexes),
        Some(json!({"TableName": "events", "CapacityUnits": 1.5,
                    "GlobalSecondaryIndexes": {"open": {"CapacityUnits": 1.5}}}))
    );
    assert_eq!(index_read().for_call().read_units, 1.5);
    assert_eq!(
        index_read().for_call().index.as_deref(),
        Some("open"),
        "the call names the index it read"
    );
}

#[test]
fn return_consumed_capacity_is_one_of_three() {
    assert_eq!(Report::of(&json!({})).unwrap(), Report::None);
    assert_eq!(
        Report::of(&json!({"ReturnConsumedCapacity": "INDEXES"})).unwrap(),
        Report::Indexes
    );
    assert_eq!(
        Report::of(&json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap(),
        Report::Total
    );
    let error = Report::of(&json!({"ReturnConsumedCapacity": "ALL"})).unwrap_err();
    assert!(
        error.message.contains("[INDEXES, TOTAL, NONE]"),
        "{}",
        error.message
    );
}
