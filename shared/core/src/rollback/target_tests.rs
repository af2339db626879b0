use super::*;

/// A run as a test writes it: id, whether it succeeded, and `A` (apply), `R:target` (a rollback
/// to target), `R` (a rollback that names none), `RP:target` (a plan of a rollback to target) or
/// `P` (anything else).
#[derive(Debug, PartialEq)]
struct Listed(&'static str, bool, &'static str);

fn view(listed: &Listed) -> Run<'_> {
    let kind = match listed.2 {
        "A" => Kind::Apply,
        "R" => Kind::Rollback { to: None },
        rollback if rollback.starts_with("R:") => Kind::Rollback {
            to: rollback.strip_prefix("R:"),
        },
        plan if plan.starts_with("RP:") => Kind::RollbackPlan {
            to: plan.strip_prefix("RP:"),
        },
        _ => Kind::Other,
    };
    Run {
        id: listed.0,
        succeeded: listed.1,
        kind,
    }
}

fn found(newest_first: &[Listed], failed: Option<&str>) -> Option<&'static str> {
    last_good(newest_first, failed, view).target().map(|run| run.0)
}

#[test]
fn after_a_rollback_the_last_good_state_is_the_one_it_returned_to_not_the_one_it_rolled_away_from() {
    // E1 ✓, E2 ✓, a rollback to E1 ✓, E3 ✗.
    let newest_first = [
        Listed("e3", false, "A"),
        Listed("r1", true, "R:e1"),
        Listed("e2", true, "A"),
        Listed("e1", true, "A"),
    ];
    let answer = last_good(&newest_first, Some("e3"), view);
    assert_eq!(answer.target().map(|run| run.0), Some("e1"), "not e2");
    assert!(matches!(
        answer,
        LastGood::Found {
            via: Some(Listed("r1", ..)),
            ..
        }
    ));
    assert!(answer.is_settled());
}

#[test]
fn the_target_is_the_newest_succeeded_apply_never_a_plan_nor_the_failed_one() {
    let newest_first = [
        Listed("failed", false, "A"),
        Listed("plan", true, "P"),
        Listed("newest-good", true, "A"),
        Listed("oldest-good", true, "A"),
    ];
    assert_eq!(found(&newest_first, Some("failed")), Some("newest-good"));
    assert_eq!(
        found(&newest_first, Some("newest-good")),
        Some("oldest-good"),
        "never the run that failed"
    );
    assert_eq!(
        last_good(&newest_first[..2], None, view),
        LastGood::Nothing,
        "nothing to return to"
    );
    assert!(
        !LastGood::<Listed>::Nothing.is_settled(),
        "an older page may hold one"
    );
}

#[test]
fn a_chain_of_rollbacks_is_followed_to_the_apply_at_its_end() {
    let newest_first = [
        Listed("e4", false, "A"),
        Listed("r2", true, "R:r1"),
        Listed("e3", true, "A"),
        Listed("r1", true, "R:e1"),
        Listed("e2", true, "A"),
        Listed("e1", true, "A"),
    ];
    assert_eq!(found(&newest_first, Some("e4")), Some("e1"));
    let through_a_plan = [
        Listed("e3", false, "A"),
        Listed("r1", true, "R:p1"),
        Listed("p1", true, "RP:e1"),
        Listed("e2", true, "A"),
        Listed("e1", true, "A"),
    ];
    assert_eq!(
        found(&through_a_plan, Some("e3")),
        Some("e1"),
        "a rollback that applies a plan of one returns where the plan does"
    );
    assert_eq!(
        found(&through_a_plan[2..], None),
        Some("e2"),
        "a plan alone changes nothing"
    );
}

#[test]
fn a_rollback_whose_target_is_not_listed_is_not_passed_over() {
    let newest_first = [
        Listed("e3", false, "A"),
        Listed("r1", true, "R:e1"),
        Listed("e2", true, "A"),
    ];
    let answer = last_good(&newest_first, Some("e3"), view);
    assert!(
        matches!(
            answer,
            LastGood::Unlisted {
                rollback: Listed("r1", ..),
                target: Some("e1")
            }
        ),
        "never e2, which the rollback rolled away from: {answer:?}"
    );
    assert!(!answer.is_settled(), "e1 may be on an older page");
    let unnamed = [Listed("r1", true, "R"), Listed("e2", true, "A")];
    let answer = last_good(&unnamed, None, view);
    assert!(matches!(answer, LastGood::Unlisted { target: None, .. }));
    assert!(answer.is_settled(), "no page names a target nobody named");
}

#[test]
fn a_rollback_to_the_failed_run_left_no_good_state_and_the_search_goes_on() {
    let newest_first = [
        Listed("r1", true, "R:e2"),
        Listed("e2", false, "A"),
        Listed("e1", true, "A"),
    ];
    assert_eq!(found(&newest_first, Some("e2")), Some("e1"));
    assert_eq!(
        found(&[Listed("r1", true, "R:e2"), Listed("e1", true, "A")], Some("e2")),
        Some("e1"),
        "also when the failed run is not listed"
    );
    assert_eq!(
        found(
            &[
                Listed("r1", true, "R:p1"),
                Listed("p1", true, "P"),
                Listed("e1", true, "A")
            ],
            None
        ),
        Some("e1"),
        "a rollback to a run that left no state of its own"
    );
}

#[test]
fn a_failed_or_unfinished_rollback_is_no_good_state() {
    let newest_first = [
        Listed("e3", false, "A"),
        Listed("r1", false, "R:e1"),
        Listed("e2", true, "A"),
        Listed("e1", true, "A"),
    ];
    assert_eq!(found(&newest_first, Some("e3")), Some("e2"));
}
