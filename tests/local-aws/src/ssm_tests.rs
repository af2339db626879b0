use super::*;

#[test]
fn iso_times_parse_with_zones_and_fractions() {
    for epoch in [0.0, 951_782_400.0, 1_763_800_000.0, 4_102_444_799.0] {
        assert_eq!(parse_iso_time(&notify::iso_time(epoch)), Some(epoch));
    }
    assert_eq!(parse_iso_time("2025-11-22T09:26:40+01:00"), Some(1_763_800_000.0));
    assert_eq!(parse_iso_time("2025-11-22T03:26:40-0500"), Some(1_763_800_000.0));
    assert_eq!(parse_iso_time("2025-11-22T08:26:40.5Z"), Some(1_763_800_000.5));
    assert_eq!(parse_iso_time("2025-11-22T08:26:40"), Some(1_763_800_000.0));
    for bad in [
        "",
        "2025-11-22",
        "2025-13-01T00:00:00Z",
        "2025-11-22T25:00:00Z",
        "2025-11-22T08:26:40+1",
        "soon",
    ] {
        assert_eq!(parse_iso_time(bad), None, "{bad}");
    }
}

fn spec(body: Value) -> CalendarSpec {
    serde_json::from_value(body).unwrap()
}

#[test]
fn only_a_change_calendar_has_a_state() {
    let open = calendar(spec(json!({"name": "deploys"}))).unwrap();
    assert_eq!((open.state, open.next_transition), (CalendarState::Open, None));
    assert_eq!(open.arn(), "arn:aws:ssm:us-east-1:123456789012:document/deploys");
    let runbook = calendar(spec(json!({"name": "runbook", "document_type": "Command"}))).unwrap();
    assert!(!runbook.is_change_calendar());
    for bad in [
        json!({"name": "runbook", "document_type": "Command", "state": "CLOSED"}),
        json!({"name": "deploys", "next_transition_time": "tomorrow"}),
        json!({"name": "a/b"}),
        json!({"name": "deploys", "account": "1234"}),
    ] {
        assert_eq!(calendar(spec(bad)).unwrap_err().code, "BadRequest");
    }
}
