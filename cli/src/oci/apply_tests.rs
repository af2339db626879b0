use super::*;

#[test]
fn rollback_codes_are_spelt_as_oci_spells_them_and_a_bad_one_is_refused() {
    let named = |codes: &[&str]| codes.iter().map(|code| (*code).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        rollback_codes(&named(&["TERRAFORM_EXECUTION_ERROR", " job_timeout"])).ok(),
        Some(named(&["TERRAFORM_EXECUTION_ERROR", "JOB_TIMEOUT"]))
    );
    for bad in ["", "  ", "TERRAFORM EXECUTION", "TERRAFORM-ERROR"] {
        let problem = rollback_codes(&named(&["TERRAFORM_EXECUTION_ERROR", bad])).unwrap_err();
        assert!(
            matches!(&problem, Problem::Usage(text) if text.contains("is not a failure code")),
            "{bad:?}: {problem}"
        );
    }
}
