use super::*;

#[test]
fn the_endpoint_is_the_regions_or_the_one_given_without_its_api_version() {
    assert_eq!(
        region_endpoint_of("us-ashburn-1", "oraclecloud.com"),
        "https://resourcemanager.us-ashburn-1.oraclecloud.com"
    );
    assert_eq!(
        endpoint_given("http://127.0.0.1:4566/20180917/"),
        "http://127.0.0.1:4566"
    );
    assert_eq!(
        endpoint_given("https://proxy.example/orm"),
        "https://proxy.example/orm"
    );
}

#[test]
fn a_region_is_a_full_or_short_name_reached_in_its_realm_and_anything_else_is_named() {
    let ashburn = Some("https://resourcemanager.us-ashburn-1.oraclecloud.com");
    for name in ["us-ashburn-1", "US-Ashburn-1", "iad", "IAD"] {
        assert_eq!(region_endpoint(name).ok().as_deref(), ashburn, "{name}");
    }
    assert_eq!(
        region_endpoint("phx").ok().as_deref(),
        Some("https://resourcemanager.us-phoenix-1.oraclecloud.com")
    );
    assert_eq!(
        region_endpoint("us-langley-1").ok().as_deref(),
        Some("https://resourcemanager.us-langley-1.oraclegovcloud.com"),
        "realm oc2"
    );
    assert_eq!(
        region_endpoint("uk-gov-london-1").ok().as_deref(),
        Some("https://resourcemanager.uk-gov-london-1.oraclegovcloud.uk"),
        "realm oc4"
    );
    assert_eq!(
        region_endpoint("xx-newcity-1").ok().as_deref(),
        Some("https://resourcemanager.xx-newcity-1.oraclecloud.com"),
        "a name the SDKs do not know yet: the commercial realm, as they do"
    );
    for bad in ["zzz", "us-ashburn-1.example.com/x", "us ashburn-1", ""] {
        let problem = region_endpoint(bad).unwrap_err();
        assert!(
            problem.to_string().contains("is not a region's full name"),
            "{bad}: {problem}"
        );
    }
}

#[test]
fn query_values_are_encoded_as_they_are_signed() {
    assert_eq!(
        encode("ocid1.ormstack.oc1..aaa-b_c~"),
        "ocid1.ormstack.oc1..aaa-b_c~"
    );
    assert_eq!(encode("a b/c+d=e&"), "a%20b%2Fc%2Bd%3De%26");
}

fn signer() -> Signer {
    let key = aws_lc_rs::signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs8.as_ref())
    );
    Signer::from_pem("t/u/f", pem.as_bytes(), None).unwrap()
}

#[tokio::test]
async fn a_look_waits_at_most_what_leaves_a_call_time_before_the_deadline() {
    let signing = signer();
    let soon = Instant::now() + Duration::from_secs(10);
    let client = ResourceManager::new("http://127.0.0.1:9".into(), signing, soon).unwrap();
    assert_eq!(
        client.wait_before_look(Duration::from_secs(1)),
        Some(Duration::from_secs(1))
    );
    let longest = client.wait_before_look(Duration::from_secs(15)).unwrap();
    assert!(
        longest <= Duration::from_secs(8) && longest > Duration::from_secs(7),
        "{longest:?}"
    );
    let signing = signer();
    let ending = ResourceManager::new(
        "http://127.0.0.1:9".into(),
        signing,
        Instant::now() + Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(ending.wait_before_look(Duration::from_millis(500)), None);
}

#[test]
fn an_endpoint_that_is_not_one_is_a_usage_error_not_an_unreachable_one() {
    let deadline = Instant::now() + Duration::from_secs(10);
    for bad in ["not a url", "/just/a/path", "http://example.com"] {
        let Err(error) = ResourceManager::new(bad.into(), signer(), deadline) else {
            panic!("{bad} was taken");
        };
        assert!(matches!(error, CallError::Invalid { .. }), "{bad}: {error}");
    }
}

#[test]
fn a_page_that_is_not_ocis_json_is_quoted_briefly_and_never_with_the_credentials() {
    let page = format!("<html>\n  <h1>502 Bad Gateway</h1>{}</html>", "x".repeat(500));
    let quoted = foreign_page(page.as_bytes());
    assert!(quoted.starts_with("<html> <h1>502 Bad Gateway</h1>x"), "{quoted}");
    assert!(quoted.chars().count() <= FOREIGN_BODY_SHOWN, "{quoted}");
    for echoed in [
        "bad request: authorization: Signature version=\"1\",keyId=\"t/u/f\"",
        "keyId=ST$eyJhbGciOi",
    ] {
        assert_eq!(
            foreign_page(echoed.as_bytes()),
            "(an answer that repeats the request's credentials, not shown)"
        );
    }
}

#[test]
fn what_oracles_sdks_ask_again_is_asked_again_and_nothing_else() {
    for (status, code) in [
        (409, "IncorrectState"),
        (409, "LockConflict"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (502, "(no OCI error code)"),
        (503, "ServiceUnavailable"),
        (504, "GatewayTimeout"),
    ] {
        assert!(asked_again(status, code), "{status} {code}");
    }
    for (status, code) in [
        (409, "Conflict"),
        (409, "InvalidatedRetryToken"),
        (501, "MethodNotImplemented"),
        (400, "InvalidParameter"),
        (404, "NotAuthorizedOrNotFound"),
    ] {
        assert!(!asked_again(status, code), "{status} {code}");
    }
}

#[tokio::test]
async fn an_answer_larger_than_the_limit_is_cut_off_not_read_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0; 4096];
                let _ = connection.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    ANSWER_LIMIT * 4
                );
                let _ = connection.write_all(head.as_bytes()).await;
                let chunk = vec![b' '; 64 * 1024];
                while connection.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    let client = ResourceManager::new(
        format!("http://{address}"),
        signer(),
        Instant::now() + Duration::from_secs(20),
    )
    .unwrap();
    let error = client.get("/jobs").await.err();
    assert!(
        matches!(
            error,
            Some(CallError::Oversized {
                limit: ANSWER_LIMIT,
                ..
            })
        ),
        "{error:?}"
    );
}
