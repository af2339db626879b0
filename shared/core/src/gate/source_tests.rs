use super::*;
use crate::health::HealthCallError;

fn refused(error: HealthCallError) -> HealthUnavailable {
    HealthUnavailable::of(vec![("health.us-east-1.amazonaws.com".into(), error)])
}

#[test]
fn each_choice_asks_its_source_first() {
    for seen in [false, true] {
        assert_eq!(
            first_source(SourceChoice::Events, true, seen),
            HealthSource::Events
        );
        assert_eq!(first_source(SourceChoice::Api, true, seen), HealthSource::Api);
    }
    assert_eq!(first_source(SourceChoice::Auto, true, false), HealthSource::Api);
}

#[test]
fn auto_goes_straight_to_the_store_once_the_account_is_known_to_have_no_plan() {
    assert_eq!(first_source(SourceChoice::Auto, true, true), HealthSource::Events);
    assert_eq!(
        first_source(SourceChoice::Auto, false, true),
        HealthSource::Api,
        "no store to go to"
    );
}

#[test]
fn only_auto_with_a_store_falls_back_and_only_for_a_missing_support_plan() {
    let no_plan = refused(HealthCallError::SubscriptionRequired);
    assert!(falls_back_to_store(SourceChoice::Auto, true, &no_plan));
    assert!(!falls_back_to_store(SourceChoice::Auto, false, &no_plan));
    assert!(!falls_back_to_store(SourceChoice::Api, true, &no_plan));
    let outage = refused(HealthCallError::Timeout);
    assert!(!falls_back_to_store(SourceChoice::Auto, true, &outage));
}

#[test]
fn only_accounts_other_than_the_callers_need_the_organizational_view() {
    let accounts = ["111111111111".to_owned(), "222233334444".to_owned()];
    assert_eq!(other_accounts(&accounts, "111111111111"), ["222233334444"]);
    assert!(other_accounts(&accounts[..1], "111111111111").is_empty());
}

#[test]
fn auto_turns_to_the_store_only_when_the_view_cannot_be_asked_from_here() {
    let denied = refused(HealthCallError::OrganizationView(
        "AccessDeniedException: not allowed".into(),
    ));
    assert!(organization_falls_back_to_store(
        SourceChoice::Auto,
        true,
        &denied
    ));
    let no_plan = refused(HealthCallError::SubscriptionRequired);
    assert!(organization_falls_back_to_store(
        SourceChoice::Auto,
        true,
        &no_plan
    ));
    assert!(!organization_falls_back_to_store(
        SourceChoice::Api,
        true,
        &denied
    ));
    assert!(!organization_falls_back_to_store(
        SourceChoice::Auto,
        false,
        &denied
    ));
    let throttled = refused(HealthCallError::Throttled("Rate exceeded".into()));
    assert!(!organization_falls_back_to_store(
        SourceChoice::Auto,
        true,
        &throttled
    ));
    assert!(organization_caveat(&denied).contains("AccessDeniedException: not allowed"));
}
