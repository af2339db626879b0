//! The demo's narrator: what it says, what happened in the emulator in between, and its checks.

use e2e::Local;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long one step of the story may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Story {
    pub local: Local,
    pub began: Instant,
    /// The same moment in seconds since the epoch, to place the emulator's timeline entries.
    pub began_epoch: f64,
    pub checks: Vec<(String, bool)>,
}

impl Story {
    pub fn say(&mut self, text: &str) {
        self.flush();
        println!("\n== {text}");
    }

    /// Prints what happened in the emulator since the last call.
    pub fn flush(&mut self) {
        for (at, text) in self.local.new_timeline() {
            println!("  +{:>5.2}s  {text}", (at - self.began_epoch).max(0.0));
        }
    }

    pub fn check(&mut self, what: &str, passed: bool) {
        self.flush();
        println!("  {} {what}", if passed { "ok  " } else { "FAIL" });
        self.checks.push((what.to_owned(), passed));
    }

    pub async fn run_to_end(&mut self, execution: &str) -> Value {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            self.flush();
            let state = self.local.execution(execution);
            if state["status"] != "InProgress" || Instant::now() > deadline {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
