//! Oracle Resource Manager's jobs (`pipeguard oci`) and the rule of where a rollback returns to
//! (apply-rollback and `pipeguard oci`): whatever a ListJobs page holds, it reads or says why;
//! whatever the history, the last good state is a succeeded apply, never the failed run, never
//! older than a succeeded apply that came later, and the rule ends (a rollback's target may name
//! any run, itself or a newer one among them).

use crate::config;
use crate::json::{arbitrary_json, mutated};
use pipeguard_core::rollback::LastGood;
use pipeguard_core::rollback::target::{Kind, Run, last_good};
use pipeguard_core::stack::StackJob;
use proptest::prelude::*;
use serde_json::{Value, json};

/// A JobSummary as ListJobs answers it (shared/oci/OCI-FACTS.md 4): a rollback to an earlier apply.
fn summary_seed() -> Value {
    json!({"id": "ocid1.ormjob.oc1.iad.r", "stackId": "ocid1.ormstack.oc1.iad.s", "operation": "APPLY_ROLLBACK",
           "jobOperationDetails": {"operation": "APPLY_ROLLBACK", "executionPlanRollbackStrategy": "AUTO_APPROVED",
                                   "targetRollbackJobId": "ocid1.ormjob.oc1.iad.a"},
           "lifecycleState": "SUCCEEDED", "timeCreated": "2026-12-01T10:03:00.000Z",
           "failureDetails": {"code": "TERRAFORM_EXECUTION_ERROR", "message": "Error: quota"}})
}

/// One run of a history: whether it succeeded, and what it did (0 apply, 1 rollback, 2 plan of a
/// rollback, 3 anything else), the rollback's target as an index into the history, if any.
type Generated = (bool, u8, Option<usize>);

fn history() -> impl Strategy<Value = (Vec<Generated>, Option<usize>)> {
    prop::collection::vec((any::<bool>(), 0..4_u8, prop::option::of(0..12_usize)), 0..12).prop_flat_map(
        |runs| {
            let count = runs.len();
            (Just(runs), prop::option::of(0..count.max(1)))
        },
    )
}

fn id(index: usize) -> String {
    format!("run-{index}")
}

/// A run of a generated history, at `index` (0 the newest).
#[derive(Debug)]
struct Listed {
    index: usize,
    id: String,
    succeeded: bool,
    kind: u8,
    to: Option<String>,
}

fn view(listed: &Listed) -> Run<'_> {
    let to = listed.to.as_deref();
    Run {
        id: &listed.id,
        succeeded: listed.succeeded,
        kind: match listed.kind {
            0 => Kind::Apply,
            1 => Kind::Rollback { to },
            2 => Kind::RollbackPlan { to },
            _ => Kind::Other,
        },
    }
}

proptest! {
    #![proptest_config(config())]

    /// A job summary however mangled, or any JSON: a job, or a typed error that says why.
    #[test]
    fn any_job_page_reads_or_says_why(page in prop_oneof![
        mutated(summary_seed()).prop_map(|mutated| json!([mutated.value])),
        arbitrary_json(),
    ]) {
        match StackJob::read_page(&page) {
            Ok(jobs) => prop_assert_eq!(Some(jobs.len()), page.as_array().map(Vec::len)),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    /// The last good state of any history, newest first.
    #[test]
    fn the_last_good_state_is_a_succeeded_apply_a_rollback_returned_to_never_one_rolled_away_from(
        (runs, failed) in history()
    ) {
        let history: Vec<Listed> = runs
            .iter()
            .enumerate()
            .map(|(index, &(succeeded, kind, to))| Listed {
                index,
                id: id(index),
                succeeded,
                kind,
                to: to.map(id),
            })
            .collect();
        let failed = failed.filter(|failed| *failed < runs.len()).map(id);
        let answer = last_good(&history, failed.as_deref(), view);
        // When the newest good state is a rollback's straight to an older succeeded apply, that
        // apply is the answer, whatever applies came between.
        let not_failed = |listed: &&Listed| Some(listed.id.as_str()) != failed.as_deref();
        let newest_change = history
            .iter()
            .filter(not_failed)
            .find(|listed| listed.succeeded && matches!(listed.kind, 0 | 1));
        if let Some(rollback) = newest_change.filter(|listed| listed.kind == 1) {
            let returned_to = history[rollback.index + 1..]
                .iter()
                .filter(not_failed)
                .find(|listed| Some(&listed.id) == rollback.to.as_ref() && listed.succeeded && listed.kind == 0);
            if let Some(returned_to) = returned_to {
                prop_assert_eq!(answer.target().map(|found| found.index), Some(returned_to.index));
            }
        }
        if let LastGood::Found { target, via } = answer {
            let run = view(target);
            prop_assert!(run.succeeded && run.kind == Kind::Apply, "{run:?}");
            prop_assert_ne!(Some(run.id), failed.as_deref());
            prop_assert!(via.is_none_or(|via| via.index < target.index), "a rollback returns to an older run");
            let newest_state = via.unwrap_or(target).index;
            let later_apply = history[..newest_state].iter().find(|listed| {
                let run = view(listed);
                run.succeeded && run.kind == Kind::Apply && Some(run.id) != failed.as_deref()
            });
            prop_assert!(later_apply.is_none(), "a succeeded apply came after the state found: {later_apply:?}");
        }
    }
}
