//! The signer against the test values Oracle publishes with its SDKs (shared/oci/OCI-FACTS.md, 1b): its
//! key is 1024 bits, which aws-lc-rs does not sign with, so the signing strings are compared
//! byte for byte and Oracle's signatures verified over them; signing itself is checked with a
//! 2048-bit key of our own.

use super::*;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject;

const ORACLE_PRIVATE_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----";
const ORACLE_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";
const DATE: &str = "Thu, 05 Jan 2014 21:31:40 GMT";
const HOST: &str = "iaas.us-phoenix-1.oraclecloud.com";
const GET_TARGET: &str = "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
const POST_BODY: &str = "{
    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",
    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",
    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"
}";
const GET_SIGNATURE: &str = "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";
const POST_SIGNATURE: &str = "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=";

fn oracle_verifies(signing: &str, signature: &str) -> bool {
    let public = SubjectPublicKeyInfoDer::from_pem_slice(ORACLE_PUBLIC_KEY.as_bytes()).unwrap();
    let signature = STANDARD.decode(signature).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, public.as_ref())
        .verify(signing.as_bytes(), &signature)
        .is_ok()
}

#[test]
fn the_get_signing_string_is_oracles_and_its_signature_verifies_over_it() {
    let request = Unsigned {
        method: "GET",
        host: HOST,
        path_and_query: GET_TARGET,
        date: DATE,
        body: None,
    };
    let signing = signing_string(&request);
    assert_eq!(
        signing,
        format!("date: {DATE}\n(request-target): get {GET_TARGET}\nhost: {HOST}")
    );
    assert!(oracle_verifies(&signing, GET_SIGNATURE));
    assert!(
        !oracle_verifies(&signing.replace("get ", "post "), GET_SIGNATURE),
        "the check can fail"
    );
}

#[test]
fn the_post_signing_string_is_oracles_and_its_signature_verifies_over_it() {
    assert_eq!(POST_BODY.len(), 316);
    assert_eq!(
        content_sha256(POST_BODY.as_bytes()),
        "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
    );
    let request = Unsigned {
        method: "POST",
        host: HOST,
        path_and_query: "/20160918/volumeAttachments",
        date: DATE,
        body: Some(("application/json", POST_BODY.as_bytes())),
    };
    let signing = signing_string(&request);
    assert_eq!(
        signing,
        format!(
            "date: {DATE}\n(request-target): post /20160918/volumeAttachments\nhost: {HOST}\ncontent-length: 316\ncontent-type: application/json\nx-content-sha256: V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
        )
    );
    assert!(oracle_verifies(&signing, POST_SIGNATURE));
}

#[test]
fn an_empty_body_is_still_hashed_and_counted() {
    assert_eq!(
        content_sha256(b""),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
}

#[test]
fn oracles_1024_bit_test_key_is_refused_by_name_without_showing_it() {
    let error = Signer::from_pem("tenancy/user/fp", ORACLE_PRIVATE_KEY.as_bytes(), None).unwrap_err();
    assert!(matches!(error, KeyError::Rejected(_)), "{error}");
    assert!(!error.to_string().contains("MIIC"), "{error}");
    assert_eq!(
        Signer::from_pem("k", b"not a key", None).unwrap_err(),
        KeyError::NotPem
    );
}

#[test]
fn a_2048_bit_key_signs_what_its_public_key_verifies_with_the_headers_oracle_requires() {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(pkcs8.as_ref())
    );
    let key_id = "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/20:3b:97";
    let signer = Signer::from_pem(key_id, pem.as_bytes(), None).unwrap();
    assert!(!format!("{signer:?}").contains("PRIVATE"), "{signer:?}");
    let body = br#"{"stackId":"ocid1.ormstack.oc1..s"}"#;
    let request = Unsigned {
        method: "POST",
        host: "resourcemanager.us-ashburn-1.oraclecloud.com",
        path_and_query: "/20180917/jobs",
        date: DATE,
        body: Some(("application/json", body)),
    };
    let headers = signer.headers(&request);
    let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "content-length",
            "x-content-sha256",
            "authorization"
        ]
    );
    let authorization = &headers[3].1;
    let expected_start = format!(
        "Signature version=\"1\",headers=\"date (request-target) host content-length content-type x-content-sha256\",keyId=\"{key_id}\",algorithm=\"rsa-sha256\",signature=\""
    );
    assert!(authorization.starts_with(&expected_start), "{authorization}");
    let signature = STANDARD
        .decode(
            authorization
                .trim_start_matches(&expected_start)
                .trim_end_matches('"'),
        )
        .unwrap();
    let public = key.public_key();
    let verifier = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public.as_ref());
    assert!(
        verifier
            .verify(signing_string(&request).as_bytes(), &signature)
            .is_ok()
    );
    let get = Unsigned {
        method: "GET",
        body: None,
        ..request
    };
    assert!(
        signer
            .authorization(&get)
            .contains("headers=\"date (request-target) host\"")
    );
}
