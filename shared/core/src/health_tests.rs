use super::*;

#[test]
fn a_health_source_is_written_and_read_by_its_one_name() {
    for source in HealthSource::ALL {
        let json = serde_json::to_string(source).unwrap();
        assert_eq!(json, format!("\"{}\"", source.as_str()));
        assert_eq!(serde_json::from_str::<HealthSource>(&json).unwrap(), *source);
    }
    let unknown = serde_json::from_str::<HealthSource>("\"API\"").unwrap_err();
    assert!(
        unknown.to_string().contains("is not one of api, events"),
        "{unknown}"
    );
}

#[test]
fn account_ids_are_twelve_digits() {
    assert!(is_account_id("222233334444"));
    for not_one in ["", "22223333444", "2222333344445", "2222-3333-44", "22223333444a"] {
        assert!(!is_account_id(not_one), "{not_one}");
    }
}

#[test]
fn the_stores_key_is_the_arn_but_for_another_accounts_own_event() {
    let arn = "arn:aws:health:us-east-1::event/EC2/X/1";
    assert_eq!(
        store_key(arn, None, "111111111111"),
        arn,
        "a public event: one item"
    );
    assert_eq!(
        store_key(arn, Some("111111111111"), "111111111111"),
        arn,
        "the stack's own: as before"
    );
    assert_eq!(
        store_key(arn, Some("222233334444"), "111111111111"),
        format!("{arn}#222233334444")
    );
}
