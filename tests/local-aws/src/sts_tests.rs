use super::*;

#[test]
fn role_ids_have_aws_shape_and_are_stable() {
    let id = role_id("health-gate");
    assert_eq!(id.len(), 21);
    assert!(id.starts_with("AROA"));
    assert!(
        id.bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
    );
    assert_eq!(id, role_id("health-gate"));
    assert_ne!(id, role_id("stage-retry"));
}

#[test]
fn an_assumed_key_signs_for_its_roles_account_and_any_other_for_the_emulators() {
    assert_eq!(account_of("ASIA.222233334444.reader.health-gate"), "222233334444");
    assert_eq!(account_of("health-gate"), ACCOUNT);
    assert_eq!(account_of("ASIA.not-an-account.reader.x"), ACCOUNT);
}
