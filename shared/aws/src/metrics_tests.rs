use super::*;

#[test]
fn a_line_is_the_embedded_metric_format_with_every_dimension_set() {
    let line = count_line(
        "health-gate",
        "Decisions",
        &[&["Verdict"], &["HealthSource"]],
        &[("Verdict", "PASS"), ("HealthSource", "events")],
        1_795_000_000_000,
    );
    assert!(!line.contains('\n'), "one line");
    let parsed: Value = serde_json::from_str(&line).unwrap();
    let directive = &parsed["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(parsed["_aws"]["Timestamp"], 1_795_000_000_000_u64);
    assert_eq!(directive["Namespace"], "pipeguard");
    assert_eq!(
        directive["Dimensions"],
        json!([["Function", "Verdict"], ["Function", "HealthSource"]])
    );
    assert_eq!(
        directive["Metrics"],
        json!([{"Name": "Decisions", "Unit": "Count"}])
    );
    assert_eq!(
        (
            &parsed["Function"],
            &parsed["Verdict"],
            &parsed["HealthSource"],
            &parsed["Decisions"]
        ),
        (&json!("health-gate"), &json!("PASS"), &json!("events"), &json!(1))
    );
}

#[test]
fn a_line_can_count_more_than_once() {
    let line = counted_line(
        "health-gate",
        "UnreadableFreezes",
        &[&[]],
        &[],
        3,
        1_795_000_000_000,
    );
    let parsed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Function"]])
    );
    assert_eq!(
        (&parsed["Function"], &parsed["UnreadableFreezes"]),
        (&json!("health-gate"), &json!(3))
    );
}
