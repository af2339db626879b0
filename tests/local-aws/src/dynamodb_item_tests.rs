use super::*;
use serde_json::json;

fn number(text: &str) -> Number {
    Number::parse(text).unwrap()
}

#[test]
fn numbers_compare_by_value_not_text() {
    assert!(number("10") > number("9"));
    assert!(number("-10") < number("-9"));
    assert!(number("-0.5") < number("0"));
    assert!(number("0.125") > number("0.12"));
    assert!(number("1e3") > number("999.99"));
    assert_eq!(number("1.0"), number("1"));
    assert_eq!(number("-0"), number("0.000"));
    assert_eq!(number("+12.50"), number("1.25E1"));
}

#[test]
fn malformed_and_out_of_range_numbers_are_rejected() {
    for text in ["", "abc", "1.2.3", "--1", "1e", "0x10", ".", "1 "] {
        assert!(Number::parse(text).is_err(), "{text:?}");
    }
    assert!(Number::parse(&"1".repeat(39)).is_err(), "39 significant digits");
    assert!(Number::parse(&format!("{}000", "1".repeat(38))).is_ok());
    assert!(Number::parse("1E+126").is_err());
    assert!(Number::parse("9.9E+125").is_ok());
    assert!(Number::parse("1E-131").is_err());
    assert!(Number::parse("1E-130").is_ok());
}

#[test]
fn equality_is_typed_numeric_and_order_free_for_sets() {
    assert!(equal(&json!({"N": "1.0"}), &json!({"N": "1"})));
    assert!(!equal(&json!({"S": "6"}), &json!({"N": "6"})));
    assert!(equal(&json!({"SS": ["a", "b"]}), &json!({"SS": ["b", "a"]})));
    assert!(equal(&json!({"NS": ["1", "2.0"]}), &json!({"NS": ["2", "1"]})));
    assert!(!equal(&json!({"SS": ["a"]}), &json!({"SS": ["a", "b"]})));
    assert!(equal(
        &json!({"M": {"a": {"L": [{"N": "1"}, {"NULL": true}]}}}),
        &json!({"M": {"a": {"L": [{"N": "1.00"}, {"NULL": true}]}}})
    ));
    assert!(!equal(
        &json!({"L": [{"N": "1"}, {"N": "2"}]}),
        &json!({"L": [{"N": "2"}, {"N": "1"}]})
    ));
    assert!(equal(&json!({"B": "AAE="}), &json!({"B": "AAE="})));
}

#[test]
fn only_scalars_of_one_type_order() {
    assert_eq!(
        order(&json!({"S": "B"}), &json!({"S": "a"})),
        Some(Ordering::Less),
        "by bytes"
    );
    assert_eq!(
        order(&json!({"N": "2"}), &json!({"N": "10"})),
        Some(Ordering::Less)
    );
    assert_eq!(
        order(&json!({"B": "/w=="}), &json!({"B": "AA=="})),
        Some(Ordering::Greater)
    );
    assert_eq!(order(&json!({"S": "1"}), &json!({"N": "1"})), None);
    assert_eq!(order(&json!({"BOOL": true}), &json!({"BOOL": true})), None);
}

#[test]
fn validation_catches_what_dynamodb_rejects() {
    for valid in [
        json!({"S": ""}),
        json!({"N": "-1.5e3"}),
        json!({"B": "aGk="}),
        json!({"BOOL": false}),
        json!({"NULL": true}),
        json!({"SS": ["a", "b"]}),
        json!({"NS": ["1", "2"]}),
        json!({"L": []}),
        json!({"M": {"x": {"S": "y"}}}),
    ] {
        assert!(validate(&valid).is_ok(), "{valid}");
    }
    for invalid in [
        json!({}),
        json!({"S": "a", "N": "1"}),
        json!({"N": "one"}),
        json!({"NULL": false}),
        json!({"SS": []}),
        json!({"SS": ["a", "a"]}),
        json!({"NS": ["1", "1.0"]}),
        json!({"B": "not base64!"}),
        json!({"L": [{"N": "x"}]}),
        json!({"M": {"x": {"X": "y"}}}),
        json!("plain"),
    ] {
        assert!(validate(&invalid).is_err(), "{invalid}");
    }
}

#[test]
fn base64_decodes_with_and_without_padding() {
    assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
    assert_eq!(decode_base64("aGV5"), Some(b"hey".to_vec()));
    assert_eq!(decode_base64("aA=="), Some(b"h".to_vec()));
    assert_eq!(decode_base64("aGk"), None);
}

#[test]
fn item_sizes_count_names_and_values() {
    let item = json!({"pk": {"S": "abc"}, "n": {"N": "12345"}, "flag": {"BOOL": true}});
    let item = item.as_object().unwrap();
    assert_eq!(item_size(item), (2 + 3) + (1 + 4) + (4 + 1));
}
