use super::*;
use serde_json::json;

fn parse_error(text: &str, input: &Value) -> String {
    let mut placeholders = Placeholders::from_request(input).unwrap();
    parse(text, "ConditionExpression", &mut placeholders)
        .unwrap_err()
        .message
}

#[test]
fn undefined_placeholders_and_malformed_expressions_are_validation_errors() {
    let errors = [
        ("#b = :v", "attribute name: #b"),
        ("#a = :w", "attribute value: :w"),
        ("#a = ", "token: <EOF>"),
        ("#a = :v OR", "token: <EOF>"),
        ("#a == :v", "token: \"=\""),
        ("(#a = :v", "token: <EOF>"),
        ("#a = :v)", "token: \")\""),
        ("#a ! :v", "token: \"!\""),
        ("#a BETWEEN :v", "token: <EOF>"),
        ("", "can not be empty"),
        ("a.b = :v", "not emulated"),
        ("a[0] = :v", "not emulated"),
        ("contains(#a, :v)", "contains is not emulated"),
        ("size(#a) = :v", "size is not emulated"),
        ("nope(#a)", "Invalid function name"),
        ("attribute_exists(:v)", "requires a document path"),
        ("attribute_exists(#a, #a)", "number of operands: 2"),
        ("begins_with(#a, :n)", "operand type"),
    ];
    let input = json!({
        "ExpressionAttributeNames": {"#a": "a"},
        "ExpressionAttributeValues": {":v": {"S": "x"}, ":n": {"N": "1"}}
    });
    for (text, expected) in errors {
        let message = parse_error(text, &input);
        assert!(message.contains(expected), "{text:?}: {message}");
        assert!(message.starts_with("Invalid ConditionExpression: "), "{message}");
    }
    let bounds =
        json!({"ExpressionAttributeValues": {":lo": {"N": "10"}, ":hi": {"N": "2"}, ":s": {"S": "a"}}});
    assert!(parse_error("a BETWEEN :lo AND :hi", &bounds).contains("upper bound"));
    assert!(parse_error("a BETWEEN :s AND :hi", &bounds).contains("same data type"));
    assert!(parse_error("#a = :v", &json!({})).contains("not defined"));
}
