//! Metrics without extra calls: CloudWatch Embedded Metric Format lines on standard output,
//! which Lambda sends to CloudWatch Logs and CloudWatch turns into metrics. One namespace; the
//! dimensions stay few and low in cardinality (the function, a verdict, a source, an error
//! type; never a pipeline or an execution id).

use crate::clock::unix_millis;
use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every metric pipeguard writes.
pub const NAMESPACE: &str = "pipeguard";

/// The count of freezes' items that do not read, which an alarm watches.
pub const UNREADABLE_FREEZES: &str = "UnreadableFreezes";

/// One EMF line counting `metric` once, under each of `dimension_sets` (every set starts with
/// `Function`). `values` gives each dimension its value.
pub fn count_line(
    function: &str,
    metric: &str,
    dimension_sets: &[&[&str]],
    values: &[(&str, &str)],
    timestamp_ms: u128,
) -> String {
    counted_line(function, metric, dimension_sets, values, 1, timestamp_ms)
}

/// One EMF line counting `metric` `count` times, as `count_line` does once.
pub fn counted_line(
    function: &str,
    metric: &str,
    dimension_sets: &[&[&str]],
    values: &[(&str, &str)],
    count: usize,
    timestamp_ms: u128,
) -> String {
    let dimensions: Vec<Vec<&str>> = dimension_sets
        .iter()
        .map(|set| std::iter::once("Function").chain(set.iter().copied()).collect())
        .collect();
    let mut line = Map::new();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": metric, "Unit": "Count"}]
            }]
        }),
    );
    line.insert("Function".into(), json!(function));
    for (name, value) in values {
        line.insert((*name).into(), json!(value));
    }
    line.insert(metric.into(), json!(count));
    Value::Object(line).to_string()
}

/// Counts one decision of `function`, by its verdict (and by `health_source`, for the gate).
pub fn decision(function: &str, verdict: &str, health_source: Option<&str>) {
    let line = match health_source {
        Some(source) => count_line(
            function,
            "Decisions",
            &[&["Verdict"], &["HealthSource"]],
            &[("Verdict", verdict), ("HealthSource", source)],
            unix_millis(),
        ),
        None => count_line(
            function,
            "Decisions",
            &[&["Verdict"]],
            &[("Verdict", verdict)],
            unix_millis(),
        ),
    };
    println!("{line}");
}

/// Counts an input refused for who sent it, by what kind of input it was (`kind`).
pub fn refused(function: &str, kind: &str) {
    println!(
        "{}",
        count_line(
            function,
            "Refused",
            &[&["Input"]],
            &[("Input", kind)],
            unix_millis()
        )
    );
}

/// Counts an invocation that failed (and so is delivered again), by what failed.
pub fn invocation_failed(function: &str, error_type: &str) {
    println!(
        "{}",
        count_line(
            function,
            "Errors",
            &[&["ErrorType"]],
            &[("ErrorType", error_type)],
            unix_millis()
        )
    );
}

/// Counts the freezes' items that do not read, each time `function` read them: each blocks
/// what it might cover until a person corrects or ends it.
pub fn unreadable_freezes(function: &str, count: usize) {
    if count > 0 {
        println!(
            "{}",
            counted_line(function, UNREADABLE_FREEZES, &[&[]], &[], count, unix_millis())
        );
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
