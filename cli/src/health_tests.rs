use super::*;

fn args(params: Option<&str>, regions: &[&str], source: Option<&str>) -> HealthArgs {
    HealthArgs {
        regions: regions.iter().map(|region| region.to_string()).collect(),
        services: vec![],
        accounts: vec![],
        source: source.map(str::to_owned),
        params: params.map(str::to_owned),
        events_table: None,
        pipeline: None,
        windows: vec![],
        blackouts: vec![],
        ignore_freezes: false,
    }
}

#[test]
fn flags_override_the_params_they_name_and_keep_the_rest() {
    let parameters = user_parameters(&args(
        Some(r#"{"regions": ["eu-west-1"], "on_health_error": "fail-open"}"#),
        &["us-east-1", "global"],
        Some("events"),
    ))
    .unwrap();
    let parsed: Value = serde_json::from_str(&parameters).unwrap();
    assert_eq!(parsed["regions"], json!(["us-east-1", "global"]));
    assert_eq!(parsed["on_health_error"], "fail-open");
    assert_eq!(parsed["health_source"], "events");
}

#[test]
fn params_that_are_not_a_json_object_are_a_usage_error() {
    for bad in ["us-east-1", "[1]", "{"] {
        let problem = user_parameters(&args(Some(bad), &[], None)).unwrap_err();
        assert!(
            problem.starts_with("--params is not a JSON object"),
            "{bad}: {problem}"
        );
    }
}

#[test]
fn exit_codes_say_deploy_blocked_misconfigured_or_unavailable() {
    let pass = GateOutcome::Pass {
        scope: gate::Scope {
            regions: vec!["us-east-1".into()],
            services: vec![],
            locks: vec![],
            accounts: vec!["111111111111".into()],
            schedule: false,
        },
        held_minutes: None,
        health: gate::HealthCheck::Asked {
            source: pipeguard_core::health::HealthSource::Api,
            caveat: None,
        },
        freezes: gate::FreezeCheck::Checked,
        released_from: vec![],
        alarms: gate::AlarmCheck::NotWatched,
        calendars: gate::CalendarCheck::NotWatched,
    };
    assert_eq!(ended(&pass), Ended::Ok);
    let blocked = GateOutcome::Blocked {
        blockers: vec![],
        health: gate::HealthCheck::Asked {
            source: pipeguard_core::health::HealthSource::Api,
            caveat: None,
        },
        at: 0,
    };
    assert_eq!(ended(&blocked) as u8, 1);
    assert_eq!(ended(&GateOutcome::Misconfigured("bad".into())) as u8, 2);
    assert_eq!(
        ended(&GateOutcome::HealthUnavailable {
            cause: "no plan".into()
        }) as u8,
        3
    );
    assert_eq!(
        ended(&GateOutcome::ConflictCheckFailed(
            ConflictCheckError::PipelineNotFound("x".into())
        )) as u8,
        2
    );
}
