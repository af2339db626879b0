use super::*;

fn signed(credential: &str) -> hyper::HeaderMap {
    let mut headers = hyper::HeaderMap::new();
    let authorization =
        format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature=00");
    headers.insert(
        hyper::header::AUTHORIZATION,
        hyper::header::HeaderValue::from_str(&authorization).unwrap(),
    );
    headers
}

#[test]
fn the_signature_names_the_caller_and_the_service() {
    let headers = signed("health-gate/20260101/us-east-1/sts/aws4_request");
    assert_eq!(caller(&headers), "health-gate");
    assert_eq!(signing_service(&headers), Some("sts"));
    let sns = signed("local/20260101/us-east-1/sns/aws4_request");
    assert_eq!(signing_service(&sns), Some("sns"));
    let unsigned = hyper::HeaderMap::new();
    assert_eq!(
        (caller(&unsigned), signing_service(&unsigned)),
        ("anonymous".to_owned(), None)
    );
}
