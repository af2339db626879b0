//! The event store's recording path: a burst of AWS Health event deliveries to stage-retry,
//! duplicates and out-of-order updates included, and the state it leaves.

use crate::{TIMEOUT, finished_at, peak_rss_mib, warm_up};
use e2e::Local;
use serde_json::{Value, json};

pub struct RecordingFigures {
    pub deliveries: usize,
    pub events: usize,
    pub seconds: f64,
    /// Every event ended recorded, and closed (its newest update).
    pub final_state_correct: bool,
    pub peak_rss_mib: f64,
}

/// The update of one event as EventBridge delivers it.
fn delivery(index: usize, status: &str, updated: &str, communication: &str) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("../../../../events/health-event-closed.json")).unwrap_or_default();
    event["detail"]["eventArn"] = json!(format!(
        "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_{index:05}"
    ));
    event["detail"]["statusCode"] = json!(status);
    event["detail"]["lastUpdatedTime"] = json!(updated);
    event["detail"]["communicationId"] = json!(communication);
    event
}

/// `events` events, each opened and closed, every update delivered `copies` times; half the
/// events' closings arrive before their openings.
pub async fn measure_recording(events: usize, copies: usize) -> RecordingFigures {
    let local = Local::start_with_store(&[]).await;
    warm_up(&local, "stage-retry").await;
    let mut deliveries = Vec::new();
    for index in 0..events {
        let open = delivery(index, "open", "Fri, 20 Nov 2026 10:00:00 GMT", "c-1");
        let closed = delivery(index, "closed", "Fri, 20 Nov 2026 11:00:00 GMT", "c-2");
        let updates = if index % 2 == 0 {
            [open, closed]
        } else {
            [closed, open]
        };
        for update in updates {
            deliveries.extend(std::iter::repeat_n(update, copies));
        }
    }
    let started = std::time::Instant::now();
    for payload in &deliveries {
        local.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": "stage-retry", "payload": payload}),
        );
    }
    local
        .wait_for(TIMEOUT * 5, "every delivery handled", || {
            finished_at(&local, "stage-retry", deliveries.len())
        })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let stored = local.stored_events();
    let pid = local.function("stage-retry")["pid"].as_u64();
    RecordingFigures {
        deliveries: deliveries.len(),
        events,
        seconds,
        final_state_correct: stored.len() == events
            && stored.iter().all(|(_, status)| status == "closed")
            && local.failed_invocations("stage-retry") == 0,
        peak_rss_mib: peak_rss_mib(pid),
    }
}
