//! Where a rollback returns to, on every platform pipeguard rolls back (CodePipeline stages,
//! Oracle Resource Manager stacks): the newest earlier run of the apply that succeeded, never a
//! rollback (rolling back to a rollback could loop, and CodePipeline refuses it), never the run
//! that failed. Each platform says what a run of its own is; the rule is this one.

/// One earlier run of an apply, as a platform reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run<'a> {
    /// Its id (an execution id, a job OCID).
    pub id: &'a str,
    /// Whether it is an apply that succeeded.
    pub applied: bool,
    /// Whether it was itself a rollback (or of a kind the platform does not say is not one).
    pub rollback: bool,
}

/// Whether a rollback after `failed` failed may return to `run`.
pub fn is_target(run: Run, failed: &str) -> bool {
    run.applied && !run.rollback && run.id != failed
}

/// The newest target among runs listed newest first, after `failed` (none: any run may be).
pub fn newest_target<'a, T>(
    newest_first: &'a [T],
    failed: Option<&str>,
    run: impl Fn(&T) -> Run,
) -> Option<&'a T> {
    newest_first
        .iter()
        .find(|candidate| is_target(run(candidate), failed.unwrap_or_default()))
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
