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
