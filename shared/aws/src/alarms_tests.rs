use super::*;
use aws_sdk_cloudwatch::error::ErrorMetadata;
use aws_sdk_cloudwatch::operation::describe_alarms::{
    DescribeAlarmsError, DescribeAlarmsInput, DescribeAlarmsOutput,
};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::StateValue;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

const OWN: &str = "111111111111";

fn watch(entries: &[&str]) -> Vec<WatchedAlarm> {
    entries
        .iter()
        .map(|entry| WatchedAlarm::parse(entry).unwrap())
        .collect()
}

fn metric(name: &str, state: StateValue) -> MetricAlarm {
    MetricAlarm::builder()
        .alarm_name(name)
        .alarm_arn(format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:{name}"))
        .state_value(state)
        .state_reason("Threshold Crossed")
        .state_updated_timestamp(DateTime::from_secs(1_763_800_100))
        .state_transitioned_timestamp(DateTime::from_secs(1_763_800_000))
        .build()
}

/// Answers every call with no alarm.
fn answers_nothing() -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| DescribeAlarmsOutput::builder().build())
}

/// Gate alarms whose every region's client answers with `rules`; `regions` records the regions
/// a client was built for.
fn alarms_with(rules: Vec<Rule>, regions: Arc<Mutex<Vec<String>>>) -> CloudWatchAlarms {
    CloudWatchAlarms::new(Some("us-east-1".into()), move |region: &str| {
        regions.lock().unwrap().push(region.to_owned());
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &rules, |conf| conf
            .retry_config(
                aws_sdk_cloudwatch::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
            ))
    })
}

fn alarms(rules: Vec<Rule>) -> CloudWatchAlarms {
    alarms_with(rules, Arc::default())
}

const BUDGET: Duration = Duration::from_secs(5);

#[tokio::test]
async fn every_page_is_read_and_both_kinds_of_alarm_are_asked_for() {
    let both_kinds = |request: &DescribeAlarmsInput| {
        request.alarm_types() == [AlarmType::MetricAlarm, AlarmType::CompositeAlarm]
            && request.max_records() == Some(100)
    };
    let first = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(move |request| both_kinds(request) && request.next_token().is_none())
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("web-5xx", StateValue::Alarm))
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(move |request| both_kinds(request) && request.next_token() == Some("page-2"))
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .composite_alarms(
                    CompositeAlarm::builder()
                        .alarm_name("web-overall")
                        .alarm_arn(format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:web-overall"))
                        .state_value(StateValue::InsufficientData)
                        .state_reason("Unchecked: Initial alarm creation")
                        .state_updated_timestamp(DateTime::from_secs(1_763_800_500))
                        .build(),
                )
                .build()
        });
    let read = alarms(vec![first.clone(), second.clone()])
        .readings(&watch(&["web-*"]), OWN, None, BUDGET)
        .await
        .unwrap();
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    let own = AlarmPlace {
        region: "us-east-1".into(),
        account: OWN.into(),
    };
    assert_eq!(read.own, own);
    assert_eq!(
        read.alarms,
        [
            AlarmReading {
                name: "web-5xx".into(),
                arn: format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:web-5xx"),
                place: own.clone(),
                kind: AlarmKind::Metric,
                state: AlarmState::Alarm,
                reason: "Threshold Crossed".into(),
                since: Some(1_763_800_000),
            },
            AlarmReading {
                name: "web-overall".into(),
                arn: format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:web-overall"),
                place: own,
                kind: AlarmKind::Composite,
                state: AlarmState::InsufficientData,
                reason: "Unchecked: Initial alarm creation".into(),
                since: Some(1_763_800_500),
            },
        ]
    );
}

/// What one DescribeAlarms call asked for: its names, or its prefix.
type SentCall = (Vec<String>, Option<String>);

#[tokio::test]
async fn names_go_a_hundred_a_call_and_a_prefix_in_a_call_of_its_own() {
    let sent: Arc<Mutex<Vec<SentCall>>> = Arc::default();
    let seen = Arc::clone(&sent);
    let recorder = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(move |request| {
            seen.lock().unwrap().push((
                request.alarm_names().to_vec(),
                request.alarm_name_prefix().map(str::to_owned),
            ));
            true
        })
        .then_output(|| DescribeAlarmsOutput::builder().build());
    let names: Vec<String> = (0..250).map(|n| format!("alarm-{n:03}")).collect();
    let mut entries: Vec<&str> = names.iter().map(String::as_str).collect();
    entries.push("edge-*");
    alarms(vec![recorder.clone()])
        .readings(&watch(&entries), OWN, None, BUDGET)
        .await
        .unwrap();
    let mut sent = sent.lock().unwrap().clone();
    sent.sort();
    let mut sizes: Vec<usize> = sent.iter().map(|(names, _)| names.len()).collect();
    sizes.sort();
    assert_eq!(sizes, [0, 50, 100, 100], "{sent:?}");
    assert_eq!(sent[0], (vec![], Some("edge-".to_owned())));
    assert!(sent[1..].iter().all(|(_, prefix)| prefix.is_none()));
    let mut asked: Vec<String> = sent.into_iter().flat_map(|(names, _)| names).collect();
    asked.sort();
    assert_eq!(asked, names, "every name once");
    assert_eq!(recorder.num_calls(), 4);
}

#[tokio::test]
async fn each_region_gets_its_own_client_built_on_first_use_and_only_once() {
    let regions: Arc<Mutex<Vec<String>>> = Arc::default();
    let gate = alarms_with(vec![answers_nothing()], Arc::clone(&regions));
    assert!(
        regions.lock().unwrap().is_empty(),
        "no client before an alarm is asked about"
    );
    let names: Vec<String> = (0..150).map(|n| format!("alarm-{n}")).collect();
    let mut entries: Vec<&str> = names.iter().map(String::as_str).collect();
    entries.push("arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu");
    entries.push("arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-*");
    gate.readings(&watch(&entries), OWN, None, BUDGET).await.unwrap();
    gate.readings(&watch(&entries), OWN, None, BUDGET).await.unwrap();
    let mut built = regions.lock().unwrap().clone();
    built.sort();
    assert_eq!(built, ["eu-west-1", "us-east-1"]);
}

#[tokio::test]
async fn an_alarm_read_in_a_region_is_of_that_region() {
    let eu = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
        DescribeAlarmsOutput::builder()
            .metric_alarms(metric("db-cpu", StateValue::Ok))
            .build()
    });
    let read = alarms(vec![eu])
        .readings(
            &watch(&["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu"]),
            OWN,
            None,
            BUDGET,
        )
        .await
        .unwrap();
    assert_eq!(read.alarms.len(), 1);
    assert_eq!(read.alarms[0].place.region, "eu-west-1");
}

fn refusing(code: &'static str) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_error(move || {
        DescribeAlarmsError::generic(ErrorMetadata::builder().code(code).message("no").build())
    })
}

#[tokio::test]
async fn refusals_are_typed_and_name_where_they_were_asked() {
    for (code, expected, calls) in [
        ("AccessDenied", AlarmCallError::AccessDenied("no".into()), 1),
        ("Throttling", AlarmCallError::Throttled("no".into()), 3),
        (
            "InvalidNextToken",
            AlarmCallError::Service {
                code: "InvalidNextToken".into(),
                message: "no".into(),
            },
            1,
        ),
    ] {
        let rule = refusing(code);
        let error = alarms(vec![rule.clone()])
            .readings(
                &watch(&["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu"]),
                OWN,
                None,
                BUDGET,
            )
            .await
            .unwrap_err();
        assert_eq!(error.error, expected, "{code}");
        assert_eq!(error.place.region, "eu-west-1", "{code}");
        assert_eq!(rule.num_calls(), calls, "{code}: throttling alone is retried");
    }
}

#[tokio::test]
async fn a_throttled_call_is_asked_again_and_its_answer_counts() {
    let throttled_once = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .sequence()
        .error(|| {
            DescribeAlarmsError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("web-5xx", StateValue::Alarm))
                .build()
        })
        .build();
    let read = alarms(vec![throttled_once.clone()])
        .readings(&watch(&["web-5xx"]), OWN, None, BUDGET)
        .await
        .unwrap();
    assert_eq!(read.alarms.len(), 1);
    assert_eq!(throttled_once.num_calls(), 2);
}

#[tokio::test]
async fn a_cloudwatch_that_does_not_answer_in_time_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    let silent = CloudWatchAlarms::new(Some("us-east-1".into()), move |region: &str| {
        aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::Config::builder()
                .behavior_version_latest()
                .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
                .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .endpoint_url(url.clone())
                .build(),
        )
    });
    let started = std::time::Instant::now();
    let error = silent
        .readings(&watch(&["web-5xx"]), OWN, None, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(error.error, AlarmCallError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    server.abort();
}

#[tokio::test]
async fn without_a_region_nothing_is_asked() {
    let rule = answers_nothing();
    let rules = vec![rule.clone()];
    let gate = CloudWatchAlarms::new(None, move |_: &str| {
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &rules)
    });
    let error = gate
        .readings(&watch(&["web-5xx"]), OWN, None, BUDGET)
        .await
        .unwrap_err();
    assert_eq!(error.error, AlarmCallError::NoRegion);
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn another_accounts_alarms_are_asked_as_the_role_there_and_the_gates_own_as_itself() {
    let theirs = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
        DescribeAlarmsOutput::builder()
            .metric_alarms(metric("db-cpu", StateValue::Alarm))
            .build()
    });
    let ours = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
        DescribeAlarmsOutput::builder()
            .metric_alarms(metric("web-5xx", StateValue::Ok))
            .build()
    });
    let assumed: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let recorded = Arc::clone(&assumed);
    let gate = alarms(vec![ours.clone()]).assuming_with(move |region, role| {
        recorded.lock().unwrap().push((region, role));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&theirs]);
        Box::pin(async move { client })
    });
    let watched = watch(&[
        "web-5xx",
        "arn:aws:cloudwatch:eu-west-1:222233334444:alarm:db-cpu",
    ]);
    for _ in 0..2 {
        let read = gate
            .readings(&watched, OWN, Some("pipeguard-alarms-reader"), BUDGET)
            .await
            .unwrap();
        let places: Vec<(&str, &str)> = read
            .alarms
            .iter()
            .map(|alarm| (alarm.name.as_str(), alarm.place.account.as_str()))
            .collect();
        assert_eq!(places, [("web-5xx", OWN), ("db-cpu", "222233334444")]);
    }
    assert_eq!(
        *assumed.lock().unwrap(),
        [(
            "eu-west-1".to_owned(),
            "arn:aws:iam::222233334444:role/pipeguard-alarms-reader".to_owned()
        )],
        "one client for the role, built once"
    );
    assert_eq!(ours.num_calls(), 2);
}

#[tokio::test]
async fn a_place_that_cannot_be_read_keeps_what_the_others_found() {
    let answering = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
        DescribeAlarmsOutput::builder()
            .metric_alarms(metric("web-5xx", StateValue::Alarm))
            .build()
    });
    let refused = refusing("AccessDenied");
    let gate = CloudWatchAlarms::new(Some("us-east-1".into()), move |region: &str| {
        let rule = if region == "eu-west-1" {
            &refused
        } else {
            &answering
        };
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [rule])
    });
    let error = gate
        .readings(
            &watch(&[
                "web-5xx",
                "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu",
            ]),
            OWN,
            None,
            BUDGET,
        )
        .await
        .unwrap_err();
    assert_eq!(error.place.region, "eu-west-1");
    let found: Vec<&str> = error
        .known
        .alarms
        .iter()
        .map(|alarm| alarm.name.as_str())
        .collect();
    assert_eq!(found, ["web-5xx"], "the answer of us-east-1 is kept");
}
