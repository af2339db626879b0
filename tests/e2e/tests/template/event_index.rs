//! The event store's index of what can block, as the template creates it: the one the code
//! reads, added in place, and readable by the gate.

use super::{functions, statements, template};
use pipeguard_aws::OPEN_INDEX;
use serde_norway::Value as Yaml;

#[test]
fn the_table_is_the_one_the_tests_and_the_demo_create() {
    let properties = &template()["Resources"]["HealthEventsTable"]["Properties"];
    let expected = e2e::event_store_table();
    for field in [
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "BillingMode",
    ] {
        let written = serde_json::to_value(&properties[field]).unwrap();
        assert_eq!(written, expected[field], "{field}");
    }
}

#[test]
fn one_index_projecting_what_never_changes_which_an_update_adds_in_place() {
    let properties = &template()["Resources"]["HealthEventsTable"]["Properties"];
    let indexes = properties["GlobalSecondaryIndexes"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    // CloudFormation creates or deletes one global secondary index per stack update.
    assert_eq!(indexes.len(), 1);
    assert_eq!(indexes[0]["IndexName"], OPEN_INDEX);
    // What a decision filters on before it reads an event again: what never changes in an event's
    // life (a projection is fixed once the index exists).
    assert_eq!(indexes[0]["Projection"]["ProjectionType"], "INCLUDE");
    let projected: Vec<&str> = indexes[0]["Projection"]["NonKeyAttributes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(projected, ["service", "event_type_code", "category"]);
    assert_eq!(indexes[0]["KeySchema"][0]["AttributeName"], "open_key");
}

#[test]
fn the_gate_may_query_the_index_and_read_each_hit_again() {
    let functions = functions(&template());
    let statements = statements(&functions["HealthGateFunction"]);
    let index = format!("${{HealthEventsTable.Arn}}/index/{OPEN_INDEX}");
    let on_index = statements.iter().any(|statement| {
        let resource = match &statement["Resource"] {
            Yaml::Tagged(sub) if sub.tag == "Sub" => sub.value.as_str().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        resource == index && format!("{:?}", statement["Action"]).contains("dynamodb:Query")
    });
    assert!(on_index, "a Query of {index}");
    let reads_items = statements.iter().any(|statement| {
        format!("{:?}", statement["Action"]).contains("dynamodb:GetItem")
            && format!("{:?}", statement["Resource"]).contains("HealthEventsTable.Arn")
    });
    assert!(reads_items, "GetItem on the table");
}
