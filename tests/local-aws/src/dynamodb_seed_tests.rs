use super::*;
use serde_json::json;

#[test]
fn placeholders_number_pad_and_cycle() {
    assert_eq!(expand("acct-{i:012}", 7).unwrap(), "acct-000000000007");
    assert_eq!(expand("{i}", 123).unwrap(), "123");
    assert_eq!(expand("region-{i%3}", 7).unwrap(), "region-1");
    assert_eq!(expand("{i%10:03}#{i}", 123).unwrap(), "003#123");
    assert_eq!(
        expand("no {placeholder} here", 1).unwrap(),
        "no {placeholder} here"
    );
}

#[test]
fn malformed_placeholders_are_refused() {
    for text in ["{i", "{id}", "{i%0}", "{i%x}", "{i:12}", "{i%3:x}"] {
        assert!(expand(text, 1).is_err(), "{text:?}");
    }
}

#[test]
fn a_template_expands_in_every_string_not_in_names() {
    let template = json!({"pk": {"S": "us-east-1#{i:03}"}, "n": {"N": "{i%2}"},
                          "tags": {"SS": ["a{i}", "b"]}, "detail": {"M": {"x{i}": {"S": "{i}"}}}});
    let item = expand_item(template.as_object().unwrap(), 5).unwrap();
    assert_eq!(
        Value::Object(item),
        json!({"pk": {"S": "us-east-1#005"}, "n": {"N": "1"}, "tags": {"SS": ["a5", "b"]},
               "detail": {"M": {"x{i}": {"S": "5"}}}})
    );
}
