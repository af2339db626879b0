use super::*;
use serde_json::json;

#[test]
fn cbor_round_trips_and_tags_timestamps() {
    let body = json!({"events": [{"arn": "a", "startTime": 1763800000.5, "count": 3}], "nextToken": null});
    let cbor = to_cbor(&body, None);
    let Cbor::Map(entries) = &cbor else { panic!() };
    let Cbor::Array(events) = &entries[0].1 else {
        panic!()
    };
    let Cbor::Map(event) = &events[0] else { panic!() };
    assert!(
        event
            .iter()
            .any(|(k, v)| k == &Cbor::Text("startTime".into()) && matches!(v, Cbor::Tag(1, _)))
    );
    let mut bytes = Vec::new();
    ciborium::into_writer(&cbor, &mut bytes).unwrap();
    assert_eq!(decode_cbor(&bytes).unwrap(), body);
}

#[test]
fn errors_carry_the_code_each_protocol_expects() {
    let error = AwsError::new(400, "ThrottlingException", "slow down");
    assert_eq!(
        encode_error(Protocol::Json, &error).headers()["x-amzn-errortype"],
        "ThrottlingException"
    );
    assert_eq!(
        encode_error(HEALTH_CBOR, &error).headers()["smithy-protocol"],
        "rpc-v2-cbor"
    );
    assert!(
        !encode_error(HEALTH_CBOR, &error)
            .headers()
            .contains_key("x-amzn-query-error")
    );
    let cloudwatch = AwsError::new(400, "InvalidNextToken", "no such token");
    assert_eq!(
        encode_error(CLOUDWATCH_CBOR, &cloudwatch).headers()["x-amzn-query-error"],
        "InvalidNextToken;Sender"
    );
    assert_eq!(encode_error(Protocol::Query(STS_XMLNS), &error).status(), 400);
    let dynamodb = encode_error(Protocol::Json10, &error);
    assert_eq!(dynamodb.headers()["content-type"], "application/x-amz-json-1.0");
    assert!(!dynamodb.headers().contains_key("x-amzn-errortype"));
}

#[test]
fn form_bodies_decode() {
    assert_eq!(
        decode_form(b"Action=Publish&Message=a%20b"),
        [
            ("Action".into(), "Publish".into()),
            ("Message".into(), "a b".into())
        ]
    );
}
