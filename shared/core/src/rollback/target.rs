//! Where a rollback returns to, on every platform pipeguard rolls back (CodePipeline stages,
//! Oracle Resource Manager stacks): the last good state. That is the newest run that succeeded,
//! other than the run that failed; when that run is itself a rollback, the state it returned to
//! (its target), never the runs it rolled away from. After E1 ✓, E2 ✓, a rollback to E1 ✓ and a
//! failed E3, the last good state is E1's. A rollback is never returned to itself (rolling back
//! to a rollback could loop, and CodePipeline refuses it): it stands for its target. Each
//! platform says what a run of its own is; the rule is this one.

/// What a run did, as far as the rule needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    /// An apply (a standard execution, an APPLY job): a state a rollback can return to.
    Apply,
    /// A rollback, and the run it returned to when the platform says which.
    Rollback {
        /// The run it returned to.
        to: Option<&'a str>,
    },
    /// A plan of a rollback (OCI's PLAN_ROLLBACK), which a rollback may name instead of its
    /// target: no state of its own, but a rollback through it returns to `to`.
    RollbackPlan {
        /// The run the planned rollback returns to.
        to: Option<&'a str>,
    },
    /// Anything else (a plan, a kind the platform does not name): no state of its own.
    Other,
}

/// One earlier run, as a platform reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run<'a> {
    /// Its id (an execution id, a job OCID).
    pub id: &'a str,
    /// Whether it succeeded (in the stage, for CodePipeline).
    pub succeeded: bool,
    /// What it did.
    pub kind: Kind<'a>,
}

/// The last good state, of runs listed newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastGood<'a, T> {
    /// The apply to return to, and the rollback it was found through, when the newest good state
    /// is a rollback's.
    Found {
        /// The apply whose state is the last good one.
        target: &'a T,
        /// The succeeded rollback that returned to it, if the state was found through one.
        via: Option<&'a T>,
    },
    /// The newest good state is a rollback's, and the run it returned to is not among the runs
    /// listed (or the platform did not say which it was): returning to any other run would return
    /// to a state someone rolled away from, so the answer is not known.
    Unlisted {
        /// The rollback.
        rollback: &'a T,
        /// The run it returned to, when the platform said.
        target: Option<&'a str>,
    },
    /// No run listed left a good state.
    Nothing,
}

impl<'a, T> LastGood<'a, T> {
    /// The run to return to, if one was found.
    pub fn target(&self) -> Option<&'a T> {
        match self {
            Self::Found { target, .. } => Some(target),
            Self::Unlisted { .. } | Self::Nothing => None,
        }
    }

    /// Whether reading older runs cannot change the answer: found, or a rollback whose target
    /// nobody named. A rollback's target not yet listed may be on a later page.
    pub fn is_settled(&self) -> bool {
        matches!(self, Self::Found { .. } | Self::Unlisted { target: None, .. })
    }
}

/// What a rollback's target turned out to be.
enum Resolved<'a, T> {
    /// An apply: the state to return to.
    Apply(&'a T),
    /// The failed run, or a run that left no good state: the rollback's state is not good.
    NotGood,
    /// Not among the runs listed, or never named.
    Unknown(Option<&'a str>),
}

/// The last good state of `newest_first`, which holds no run newer than `failed` but may hold
/// `failed` itself (none: every run may be returned to). A rollback whose target is the failed
/// run (or a run that did not leave a good state) left no good state either: the search goes on
/// to older runs. A chain of rollbacks is followed to the apply at its end.
pub fn last_good<'a, T>(
    newest_first: &'a [T],
    failed: Option<&str>,
    run: impl Fn(&T) -> Run,
) -> LastGood<'a, T> {
    for (index, candidate) in newest_first.iter().enumerate() {
        let seen = run(candidate);
        if !seen.succeeded || Some(seen.id) == failed {
            continue;
        }
        match seen.kind {
            Kind::Apply => {
                return LastGood::Found {
                    target: candidate,
                    via: None,
                };
            }
            Kind::Other | Kind::RollbackPlan { .. } => {}
            Kind::Rollback { to } => match resolve(&newest_first[index + 1..], to, failed, &run) {
                Resolved::Apply(target) => {
                    return LastGood::Found {
                        target,
                        via: Some(candidate),
                    };
                }
                Resolved::NotGood => {}
                Resolved::Unknown(target) => {
                    return LastGood::Unlisted {
                        rollback: candidate,
                        target,
                    };
                }
            },
        }
    }
    LastGood::Nothing
}

/// The run a rollback returned `to`, among the runs older than it; a chain of rollbacks (or a
/// rollback's plan) is followed, each step to an older run, so it ends.
fn resolve<'a, T>(
    older: &'a [T],
    to: Option<&'a str>,
    failed: Option<&str>,
    run: &impl Fn(&T) -> Run,
) -> Resolved<'a, T> {
    let Some(to) = to else {
        return Resolved::Unknown(None);
    };
    if Some(to) == failed {
        return Resolved::NotGood;
    }
    let Some(index) = older.iter().position(|candidate| run(candidate).id == to) else {
        return Resolved::Unknown(Some(to));
    };
    let target = &older[index];
    let seen = run(target);
    match seen.kind {
        _ if !seen.succeeded => Resolved::NotGood,
        Kind::Apply => Resolved::Apply(target),
        Kind::Other => Resolved::NotGood,
        Kind::Rollback { to: further } | Kind::RollbackPlan { to: further } => {
            resolve(&older[index + 1..], further, failed, run)
        }
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
