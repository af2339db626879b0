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
