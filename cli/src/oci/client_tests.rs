use super::*;

#[test]
fn the_endpoint_is_the_regions_or_the_one_given_without_its_api_version() {
    assert_eq!(
        endpoint_of(None, "us-ashburn-1"),
        "https://resourcemanager.us-ashburn-1.oraclecloud.com"
    );
    assert_eq!(
        endpoint_of(Some("http://127.0.0.1:4566/20180917/"), "ignored"),
        "http://127.0.0.1:4566"
    );
    assert_eq!(
        endpoint_of(Some("https://proxy.example/orm"), "x"),
        "https://proxy.example/orm"
    );
}

#[test]
fn query_values_are_encoded_as_they_are_signed() {
    assert_eq!(
        encode("ocid1.ormstack.oc1..aaa-b_c~"),
        "ocid1.ormstack.oc1..aaa-b_c~"
    );
    assert_eq!(encode("a b/c+d=e&"), "a%20b%2Fc%2Bd%3De%26");
}
