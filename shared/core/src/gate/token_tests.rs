use super::*;

#[test]
fn round_trips() {
    let state = WaitState::new(
        1_763_800_000,
        vec!["arn:aws:health:us-east-1::event/EC2/X/1".into(), "cleanup".into()],
    );
    assert_eq!(WaitState::decode(&state.encode()), Ok(state));
}

#[test]
fn stays_within_codepipeline_limit_by_dropping_reasons() {
    let held_by: Vec<String> = (0..100)
        .map(|i| format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{i:040}"))
        .collect();
    let token = WaitState::new(1, held_by).encode();
    assert!(token.chars().count() <= MAX_TOKEN_CHARS);
    let decoded = WaitState::decode(&token).unwrap();
    assert_eq!(decoded.since, 1);
    assert!(!decoded.held_by.is_empty() && decoded.held_by.len() < 100);
}

#[test]
fn rejects_foreign_or_corrupt_tokens() {
    assert!(WaitState::decode("not json").is_err());
    assert!(WaitState::decode(r#"{"v":2,"since":1,"held_by":[]}"#).is_err());
    assert!(WaitState::decode(r#"{"since":1}"#).is_err());
}
