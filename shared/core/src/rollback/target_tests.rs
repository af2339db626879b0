use super::*;

fn run(id: &str, applied: bool, rollback: bool) -> (String, bool, bool) {
    (id.to_owned(), applied, rollback)
}

fn view(run: &(String, bool, bool)) -> Run<'_> {
    Run {
        id: &run.0,
        applied: run.1,
        rollback: run.2,
    }
}

#[test]
fn the_target_is_the_newest_applied_run_that_is_neither_a_rollback_nor_the_failed_one() {
    let newest_first = [
        run("failed", false, false),
        run("rollback", true, true),
        run("plan", false, false),
        run("newest-good", true, false),
        run("oldest-good", true, false),
    ];
    assert_eq!(
        newest_target(&newest_first, Some("failed"), view).map(|run| run.0.as_str()),
        Some("newest-good")
    );
    assert_eq!(
        newest_target(&newest_first, Some("newest-good"), view).map(|run| run.0.as_str()),
        Some("oldest-good"),
        "never the run that failed"
    );
    assert_eq!(
        newest_target(&newest_first[..3], None, view),
        None,
        "nothing to return to"
    );
    assert!(!is_target(view(&run("x", true, true)), "y"), "never a rollback");
}
