use super::*;
use serde_json::json;

fn request(names: Value, values: Value) -> Value {
    json!({"ExpressionAttributeNames": names, "ExpressionAttributeValues": values})
}

/// Parses `text` with these placeholders and evaluates it against `item`.
fn evaluate(text: &str, input: &Value, item: Value) -> bool {
    let mut placeholders = Placeholders::from_request(input).unwrap();
    let condition = parse(text, "ConditionExpression", &mut placeholders).unwrap();
    condition.matches(item.as_object().unwrap())
}

#[test]
fn comparisons_use_numeric_and_byte_order() {
    let input = request(json!({"#n": "n"}), json!({":ten": {"N": "10"}, ":b": {"S": "b"}}));
    let item = json!({"n": {"N": "9"}, "s": {"S": "a"}, "upper": {"S": "B"}});
    assert!(evaluate("#n < :ten", &input, item.clone()), "9 < 10 numerically");
    assert!(
        evaluate("s < :b AND upper < s", &input, item.clone()),
        "B sorts before a"
    );
    assert!(evaluate(
        "#n <= :ten AND NOT #n >= :ten AND #n <> :ten",
        &input,
        item.clone()
    ));
    assert!(!evaluate("#n = :ten OR #n > :ten", &input, item.clone()));
    assert!(
        !evaluate("s = :ten", &input, item),
        "different types are never equal"
    );
}

#[test]
fn missing_attributes_fail_comparisons_but_are_not_equal() {
    let input = request(json!({"#u": "updated"}), json!({":v": {"N": "1"}}));
    let empty = json!({});
    for text in [
        "#u = :v",
        "#u < :v",
        "#u >= :v",
        "#u BETWEEN :v AND :v",
        "#u IN (:v)",
    ] {
        assert!(!evaluate(text, &input, empty.clone()), "{text}");
        assert!(
            evaluate(&format!("NOT ({text})"), &input, empty.clone()),
            "NOT ({text})"
        );
    }
    assert!(evaluate("#u <> :v", &input, empty));
}

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let input = json!({"ExpressionAttributeValues": {":t": {"BOOL": true}}});
    let item = json!({"a": {"BOOL": true}, "b": {"BOOL": false}, "c": {"BOOL": true}});
    // OR below AND: true OR (false AND ...) is true.
    assert!(evaluate("a = :t OR b = :t AND c = :t", &input, item.clone()));
    assert!(!evaluate("(a = :t OR b = :t) AND b = :t", &input, item.clone()));
    // NOT applies to the comparison only, not to the AND after it.
    assert!(!evaluate("NOT a = :t AND c = :t", &input, item.clone()));
    assert!(evaluate("NOT (a = :t AND b = :t)", &input, item.clone()));
    assert!(
        evaluate("not b = :t and (c = :t)", &input, item),
        "keywords in any case"
    );
}

#[test]
fn functions_between_and_in() {
    let input = request(
        json!({"#r": "region"}),
        json!({":p": {"S": "us-"}, ":lo": {"N": "2"}, ":hi": {"N": "10"}, ":a": {"S": "eu-west-1"}, ":b": {"S": "us-east-1"}}),
    );
    let item = json!({"region": {"S": "us-east-1"}, "n": {"N": "9"}});
    assert!(evaluate(
        "attribute_exists(#r) AND attribute_not_exists(missing)",
        &input,
        item.clone()
    ));
    assert!(evaluate(
        "begins_with(#r, :p) AND n BETWEEN :lo AND :hi",
        &input,
        item.clone()
    ));
    assert!(evaluate("#r IN (:a, :b)", &input, item.clone()));
    assert!(!evaluate("#r IN (:a)", &input, item.clone()));
    assert!(!evaluate(
        "begins_with(missing, :p) OR attribute_exists(missing)",
        &input,
        item
    ));
}

#[test]
fn the_newest_write_wins_condition_reads_as_intended() {
    let condition =
        "attribute_not_exists(pk) OR #updated < :updated OR (#updated = :updated AND #comm < :comm)";
    let input = request(
        json!({"#updated": "updated", "#comm": "comm"}),
        json!({":updated": {"N": "300"}, ":comm": {"S": "b"}}),
    );
    let stored =
        |updated: &str, comm: &str| json!({"pk": {"S": "k"}, "updated": {"N": updated}, "comm": {"S": comm}});
    assert!(evaluate(condition, &input, json!({})));
    assert!(evaluate(condition, &input, stored("299", "z")));
    assert!(evaluate(condition, &input, stored("300", "a")));
    assert!(
        !evaluate(condition, &input, stored("300", "b")),
        "a duplicate loses"
    );
    assert!(
        !evaluate(condition, &input, stored("1000", "a")),
        "1000 > 300 as numbers"
    );
}

#[test]
fn unused_and_empty_placeholders_are_rejected() {
    let input = request(json!({"#a": "a", "#b": "b"}), json!({":v": {"S": "x"}}));
    let mut placeholders = Placeholders::from_request(&input).unwrap();
    parse("#a = :v", "FilterExpression", &mut placeholders).unwrap();
    let error = placeholders.finish().unwrap_err();
    assert_eq!(
        error.message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    );
    let without_expression = Placeholders::from_request(&input).unwrap().finish().unwrap_err();
    assert!(
        without_expression
            .message
            .contains("can only be specified when using expressions")
    );
    let mut values_only = Placeholders::from_request(&input).unwrap();
    parse("a = :v", "FilterExpression", &mut values_only).unwrap();
    assert!(
        values_only
            .finish()
            .unwrap_err()
            .message
            .contains("unused in expressions: keys: {#a, #b}")
    );
    let empty = json!({"ExpressionAttributeValues": {}});
    assert!(Placeholders::from_request(&empty).is_err());
    let invalid_value = json!({"ExpressionAttributeValues": {":v": {"N": "x"}}});
    assert!(Placeholders::from_request(&invalid_value).is_err());
}

#[test]
fn attributes_lists_what_a_condition_reads() {
    let input = request(json!({"#s": "sk"}), json!({":v": {"S": "x"}}));
    let mut placeholders = Placeholders::from_request(&input).unwrap();
    let condition = parse(
        "attribute_exists(a) AND (NOT b IN (:v, c) OR begins_with(#s, :v))",
        "FilterExpression",
        &mut placeholders,
    )
    .unwrap();
    assert_eq!(condition.attributes(), BTreeSet::from(["a", "b", "c", "sk"]));
}
