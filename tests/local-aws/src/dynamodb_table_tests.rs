use super::*;
use serde_json::json;

/// The Health event store's shape: events by region and ARN, and a sparse index of the open
/// ones by `open_key` ("REGION#ACCOUNT") and ARN.
fn events(projection: Value) -> Table {
    Table::define(
        "events",
        &json!({
            "TableName": "events",
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "region", "AttributeType": "S"},
                                     {"AttributeName": "arn", "AttributeType": "S"},
                                     {"AttributeName": "open_key", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{"IndexName": "open",
                "KeySchema": [{"AttributeName": "open_key", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}],
                "Projection": projection}]
        }),
        "id".into(),
    )
    .unwrap()
}

fn event(arn: &str, open_key: Option<&str>, status: &str) -> Map<String, Value> {
    let mut item = json!({"region": {"S": "us-east-1"}, "arn": {"S": arn}, "status": {"S": status}});
    if let Some(open_key) = open_key {
        item["open_key"] = json!({"S": open_key});
    }
    item.as_object().unwrap().clone()
}

fn write(table: &mut Table, item: Map<String, Value>) -> Vec<(String, f64)> {
    let key = table.check_item(&item).unwrap();
    table.put(key, item).index_units
}

fn arns(table: &Table, partition: &str, forward: bool) -> Vec<String> {
    let index = table.index("open").unwrap();
    index
        .partition(&Scalar::S(partition.into()), forward, None)
        .map(|(_, key)| match &key.1 {
            Some(Scalar::S(arn)) => arn.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_index_holds_only_the_items_with_its_keys_in_its_order() {
    let mut table = events(json!({"ProjectionType": "ALL"}));
    write(&mut table, event("arn:c", Some("us-east-1#111"), "open"));
    write(&mut table, event("arn:a", Some("us-east-1#111"), "upcoming"));
    write(&mut table, event("arn:b", None, "closed"));
    write(&mut table, event("arn:d", Some("us-east-1#222"), "open"));
    assert_eq!(arns(&table, "us-east-1#111", true), ["arn:a", "arn:c"]);
    assert_eq!(arns(&table, "us-east-1#111", false), ["arn:c", "arn:a"]);
    assert_eq!(arns(&table, "us-east-1#222", true), ["arn:d"]);
    let description = table.description("ACTIVE");
    let index = &description["GlobalSecondaryIndexes"][0];
    assert_eq!(index["ItemCount"], 3);
    assert_eq!(index["IndexStatus"], "ACTIVE");
    assert_eq!(description["ItemCount"], 4);
    assert_eq!(
        table.description("CREATING")["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "CREATING"
    );

    // Closing an event removes its key: it leaves the index.
    write(&mut table, event("arn:c", None, "closed"));
    assert_eq!(arns(&table, "us-east-1#111", true), ["arn:a"]);
    // A new key moves it.
    write(&mut table, event("arn:a", Some("us-east-1#222"), "open"));
    assert!(arns(&table, "us-east-1#111", true).is_empty());
    assert_eq!(arns(&table, "us-east-1#222", true), ["arn:a", "arn:d"]);
    let description = table.description("ACTIVE");
    assert_eq!(description["GlobalSecondaryIndexes"][0]["ItemCount"], 2);
    // The sizes are kept as items change: those of the items, and of the index's entries.
    let stored: usize = table.items().values().map(dynamodb_item::item_size).sum();
    assert_eq!(description["TableSizeBytes"], stored);
    let index = table.index("open").unwrap();
    let indexed: usize = table
        .items()
        .values()
        .filter(|item| item.contains_key("open_key"))
        .map(|item| index.projected_size(item, &table.schema))
        .sum();
    assert!(indexed > 0);
    assert_eq!(
        description["GlobalSecondaryIndexes"][0]["IndexSizeBytes"],
        indexed
    );
}

#[test]
fn an_index_consumes_write_units_as_dynamodb_documents() {
    let mut table = events(json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}));
    let open = |units: f64| vec![("open".to_owned(), units)];
    // Not in the index before or after: nothing.
    assert_eq!(write(&mut table, event("arn:a", None, "closed")), []);
    // Added: one write.
    assert_eq!(
        write(&mut table, event("arn:a", Some("us-east-1#1"), "open")),
        open(1.0)
    );
    // The same entry again: nothing.
    assert_eq!(write(&mut table, event("arn:a", Some("us-east-1#1"), "open")), []);
    // A projected attribute changed: one write.
    assert_eq!(
        write(&mut table, event("arn:a", Some("us-east-1#1"), "upcoming")),
        open(1.0)
    );
    // An attribute the index does not hold changed: nothing.
    let mut noted = event("arn:a", Some("us-east-1#1"), "upcoming");
    noted.insert("note".into(), json!({"S": "x"}));
    assert_eq!(write(&mut table, noted), []);
    // The index key changed: a delete and a put.
    assert_eq!(
        write(&mut table, event("arn:a", Some("us-east-1#2"), "upcoming")),
        open(2.0)
    );
    // Removed: one write.
    assert_eq!(write(&mut table, event("arn:a", None, "closed")), open(1.0));
    // A large entry: 1 KB each.
    let mut large = event("arn:b", Some("us-east-1#1"), &"x".repeat(3000));
    large.insert("other".into(), json!({"S": "y".repeat(5000)}));
    assert_eq!(write(&mut table, large), open(3.0));
}

#[test]
fn an_index_key_of_the_wrong_type_refuses_the_write() {
    let table = events(json!({"ProjectionType": "KEYS_ONLY"}));
    let mut item = event("arn:a", None, "open");
    item.insert("open_key".into(), json!({"N": "1"}));
    let error = table.check_item(&item).unwrap_err();
    assert!(
        error.message.contains("Type mismatch for Index Key open_key"),
        "{}",
        error.message
    );
    item.insert("open_key".into(), json!({"S": ""}));
    let error = table.check_item(&item).unwrap_err();
    assert!(error.message.contains("IndexName: open"), "{}", error.message);
    assert!(table.items().is_empty());
}

#[test]
fn a_projection_keeps_the_keys_and_what_it_names() {
    let table = events(json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}));
    let mut item = event("arn:a", Some("us-east-1#1"), "open");
    item.insert("description".into(), json!({"S": "long"}));
    let projected = table.index("open").unwrap().project(&item, &table.schema);
    let mut names: Vec<&str> = projected.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["arn", "open_key", "region", "status"]);
    let keys_only = events(json!({"ProjectionType": "KEYS_ONLY"}));
    let projected = keys_only.index("open").unwrap().project(&item, &keys_only.schema);
    assert_eq!(projected.len(), 3);
}

fn create(index: &str, hash: &str) -> Value {
    json!({"Create": {"IndexName": index, "KeySchema": [{"AttributeName": hash, "KeyType": "HASH"}],
                      "Projection": {"ProjectionType": "KEYS_ONLY"}}})
}

#[test]
fn update_table_adds_one_index_at_a_time_and_backfills_it() {
    let mut table = events(json!({"ProjectionType": "ALL"}));
    write(&mut table, event("arn:a", None, "open"));
    write(&mut table, event("arn:b", None, "closed"));
    let mut numbered = event("arn:c", None, "open");
    numbered.insert("status".into(), json!({"N": "1"}));
    write(&mut table, numbered);
    let definitions = json!([{"AttributeName": "status", "AttributeType": "S"}]);

    let two = json!({"AttributeDefinitions": definitions,
                     "GlobalSecondaryIndexUpdates": [create("by-status", "status"), create("by-arn", "arn")]});
    let error = table.add_index(&two, 0.0).unwrap_err();
    assert_eq!(error.code, "LimitExceededException");
    assert_eq!(table.indexes.len(), 1);

    let one = json!({"AttributeDefinitions": definitions, "GlobalSecondaryIndexUpdates": [create("by-status", "status")]});
    let later = now() + 3600.0;
    let index = table.add_index(&one, later).unwrap();
    // Backfilled, leaving out the item whose status is a number.
    assert_eq!(index.partition(&Scalar::S("open".into()), true, None).count(), 1);
    assert_eq!(
        index.partition(&Scalar::S("closed".into()), true, None).count(),
        1
    );
    let description = table.description("ACTIVE");
    assert_eq!(description["TableStatus"], "UPDATING");
    let created = &description["GlobalSecondaryIndexes"][1];
    assert_eq!(
        (&created["IndexStatus"], &created["Backfilling"]),
        (&json!("CREATING"), &json!(true))
    );

    // Another while it is created.
    let other = json!({"GlobalSecondaryIndexUpdates": [create("by-arn", "arn")]});
    assert_eq!(
        table.add_index(&other, 0.0).unwrap_err().code,
        "LimitExceededException"
    );
}

#[test]
fn an_index_already_there_or_on_an_undefined_attribute_is_refused() {
    let mut table = events(json!({"ProjectionType": "ALL"}));
    let again = json!({"GlobalSecondaryIndexUpdates": [create("open", "arn")]});
    let error = table.add_index(&again, 0.0).unwrap_err();
    assert!(error.message.contains("already exists"), "{}", error.message);
    let undefined = json!({"GlobalSecondaryIndexUpdates": [create("by-status", "status")]});
    let error = table.add_index(&undefined, 0.0).unwrap_err();
    assert!(
        error.message.contains("not defined in AttributeDefinitions"),
        "{}",
        error.message
    );
    assert_eq!(table.indexes.len(), 1);
}

#[test]
fn every_definition_must_key_the_table_or_an_index() {
    let mut input = json!({
        "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
    });
    assert!(Table::define("t", &input, "id".into()).is_err());
    input["GlobalSecondaryIndexes"] = json!([{"IndexName": "by-g",
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]);
    let error = Table::define("t", &input, "id".into()).unwrap_err();
    assert!(error.message.contains("PAY_PER_REQUEST"), "{}", error.message);
    input["GlobalSecondaryIndexes"][0]
        .as_object_mut()
        .unwrap()
        .remove("ProvisionedThroughput");
    assert!(Table::define("t", &input, "id".into()).is_ok());
}

#[test]
fn a_partition_reads_after_or_before_its_start_key() {
    let mut table = events(json!({"ProjectionType": "ALL"}));
    for arn in ["arn:a", "arn:b", "arn:c"] {
        write(&mut table, event(arn, None, "closed"));
    }
    let mut other = event("arn:a", None, "closed");
    other.insert("region".into(), json!({"S": "us-west-2"}));
    write(&mut table, other);
    let region = Scalar::S("us-east-1".into());
    let read = |forward: bool, start: Option<&str>| -> Vec<String> {
        let start = start.map(|arn| (region.clone(), Some(Scalar::S(arn.into()))));
        table
            .partition(&region, forward, start.as_ref())
            .map(|(key, _)| match &key.1 {
                Some(Scalar::S(arn)) => arn.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(read(true, None), ["arn:a", "arn:b", "arn:c"]);
    assert_eq!(read(true, Some("arn:a")), ["arn:b", "arn:c"]);
    assert_eq!(read(false, None), ["arn:c", "arn:b", "arn:a"]);
    assert_eq!(read(false, Some("arn:c")), ["arn:b", "arn:a"]);
    assert!(
        table
            .partition(&Scalar::S("eu-west-1".into()), false, None)
            .next()
            .is_none()
    );
}
