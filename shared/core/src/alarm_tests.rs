use super::*;

const OWN_ACCOUNT: &str = "111111111111";
const OTHER_ACCOUNT: &str = "222222222222";

fn own() -> AlarmPlace {
    place("us-east-1", OWN_ACCOUNT)
}

fn place(region: &str, account: &str) -> AlarmPlace {
    AlarmPlace {
        region: region.into(),
        account: account.into(),
    }
}

fn watch(entries: &[&str]) -> Vec<WatchedAlarm> {
    entries
        .iter()
        .map(|entry| WatchedAlarm::parse(entry).unwrap())
        .collect()
}

fn reading(name: &str, at: &AlarmPlace, state: AlarmState) -> AlarmReading {
    AlarmReading {
        name: name.into(),
        arn: format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", at.region, at.account),
        place: at.clone(),
        kind: AlarmKind::Metric,
        state,
        reason: "Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (1.0).".into(),
        since: Some(1_763_800_000),
    }
}

fn readings(alarms: Vec<AlarmReading>) -> AlarmReadings {
    AlarmReadings { own: own(), alarms }
}

fn names_of(alarms: &[AlarmReading]) -> Vec<&str> {
    alarms.iter().map(|alarm| alarm.name.as_str()).collect()
}

#[test]
fn an_entry_is_a_name_a_prefix_or_an_alarm_arn() {
    let cases: &[(&str, AlarmPattern, Option<AlarmPlace>)] = &[
        ("web-5xx", AlarmPattern::Exact("web-5xx".into()), None),
        (" web-5xx ", AlarmPattern::Exact("web-5xx".into()), None),
        ("web-*", AlarmPattern::Prefix("web-".into()), None),
        (
            "Latency p99 > 2s",
            AlarmPattern::Exact("Latency p99 > 2s".into()),
            None,
        ),
        (
            "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu",
            AlarmPattern::Exact("db-cpu".into()),
            Some(place("eu-west-1", OTHER_ACCOUNT)),
        ),
        (
            "arn:aws-us-gov:cloudwatch:us-gov-west-1:111111111111:alarm:api:errors",
            AlarmPattern::Exact("api:errors".into()),
            Some(place("us-gov-west-1", OWN_ACCOUNT)),
        ),
        (
            "arn:aws:cloudwatch:us-west-2:111111111111:alarm:edge-*",
            AlarmPattern::Prefix("edge-".into()),
            Some(place("us-west-2", OWN_ACCOUNT)),
        ),
    ];
    for (given, pattern, at) in cases {
        let entry = WatchedAlarm::parse(given).unwrap_or_else(|error| panic!("{given}: {error}"));
        assert_eq!((&entry.pattern, &entry.place), (pattern, at), "{given}");
    }
}

#[test]
fn an_entry_that_names_no_alarm_says_why() {
    let cases = [
        ("", "must not be empty"),
        ("*", "`*` alone would watch every alarm"),
        ("web-*-5xx", "only a trailing `*`"),
        ("we*b*", "only a trailing `*`"),
        ("line\nbreak", "no control characters"),
        (&"x".repeat(256), "1 to 255 characters"),
        (
            "arn:aws:sns:us-east-1:111111111111:topic",
            "not a CloudWatch alarm ARN",
        ),
        (
            "arn:aws:cloudwatch:us-east-1:111111111111:dashboard:web",
            "not a CloudWatch alarm ARN",
        ),
        (
            "arn:aws:cloudwatch:useast1:111111111111:alarm:web",
            "not an AWS region code",
        ),
        (
            "arn:aws:cloudwatch:global:111111111111:alarm:web",
            "not an AWS region code",
        ),
        (
            "arn:aws:cloudwatch:us-east-1:1111:alarm:web",
            "not a 12-digit AWS account id",
        ),
        (
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:",
            "must not be empty",
        ),
    ];
    for (given, reason) in cases {
        let error = WatchedAlarm::parse(given).expect_err(given);
        assert!(error.contains(reason), "{given:?}: {error}");
    }
    assert!(WatchedAlarm::parse(&"x".repeat(255)).is_ok());
}

#[test]
fn alarm_states_are_alarm_or_insufficient_data_and_ok_is_refused_with_why() {
    assert_eq!(read_alarm_state("ALARM"), Ok(AlarmState::Alarm));
    assert_eq!(
        read_alarm_state(" insufficient_data "),
        Ok(AlarmState::InsufficientData)
    );
    assert!(read_alarm_state("OK").unwrap_err().contains("clear state"));
    assert!(
        read_alarm_state("FIRING")
            .unwrap_err()
            .contains("not one of ALARM, INSUFFICIENT_DATA")
    );
    assert_eq!(DEFAULT_ALARM_STATES, [AlarmState::Alarm]);
}

#[test]
fn names_are_asked_a_hundred_a_call_each_once_per_place() {
    for count in [1usize, 99, 100, 101, 250, 1000] {
        let names: Vec<String> = (0..count).map(|n| format!("alarm-{n}")).collect();
        let mut entries: Vec<&str> = names.iter().map(String::as_str).collect();
        entries.extend(names.iter().take(3).map(String::as_str));
        let asked = queries(&watch(&entries), &own());
        // DescribeAlarms takes at most 100 names a call: fewer calls would be refused.
        assert_eq!(asked.len(), count.div_ceil(100), "{count} names");
        let mut sent = Vec::new();
        for query in &asked {
            assert_eq!(query.place, own());
            let AlarmAsk::Names(chunk) = &query.ask else {
                panic!("{query:?}")
            };
            assert!((1..=100).contains(&chunk.len()), "{}", chunk.len());
            sent.extend(chunk.iter().cloned());
        }
        assert_eq!(sent, names, "every name once, in order");
    }
}

#[test]
fn each_prefix_is_one_call_and_the_names_it_covers_are_not_asked_again() {
    let asked = queries(&watch(&["web-*", "web-5xx", "db-cpu", "web-*", "db-*"]), &own());
    assert_eq!(
        asked.iter().map(|query| &query.ask).collect::<Vec<_>>(),
        [&AlarmAsk::Prefix("web-".into()), &AlarmAsk::Prefix("db-".into()),]
    );
}

#[test]
fn each_region_and_account_is_asked_apart_and_an_own_arn_joins_the_bare_names() {
    let asked = queries(
        &watch(&[
            "web-5xx",
            "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu",
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:api-errors",
            "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu",
            "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-disk",
        ]),
        &own(),
    );
    let plan: Vec<(AlarmPlace, AlarmAsk)> = asked.into_iter().map(|query| (query.place, query.ask)).collect();
    assert_eq!(
        plan,
        [
            (
                own(),
                AlarmAsk::Names(vec!["web-5xx".into(), "api-errors".into()])
            ),
            (
                place("eu-west-1", OWN_ACCOUNT),
                AlarmAsk::Names(vec!["db-cpu".into(), "db-disk".into()])
            ),
            (
                place("eu-west-1", OTHER_ACCOUNT),
                AlarmAsk::Names(vec!["db-cpu".into()])
            ),
        ]
    );
}

#[test]
fn only_entries_of_other_accounts_need_a_role() {
    let entries = watch(&[
        "web-5xx",
        "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu",
        "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu",
    ]);
    let foreign = in_other_accounts(&entries, OWN_ACCOUNT);
    assert_eq!(foreign, [(&entries[2], &place("eu-west-1", OTHER_ACCOUNT))]);
}

#[test]
fn another_accounts_alarms_need_a_role_which_is_named_in_the_partition_of_their_region() {
    let entries = watch(&[
        "web-5xx",
        "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu",
    ]);
    let why = unreachable_accounts(&entries, OWN_ACCOUNT, None).unwrap();
    assert!(
        why.contains("account 222222222222") && why.contains("alarms_role"),
        "{why}"
    );
    assert_eq!(unreachable_accounts(&entries, OWN_ACCOUNT, Some("reader")), None);
    assert_eq!(unreachable_accounts(&entries[..1], OWN_ACCOUNT, None), None);
    assert_eq!(
        role_arn(&place("eu-west-1", OTHER_ACCOUNT), "reader"),
        "arn:aws:iam::222222222222:role/reader"
    );
    assert_eq!(
        role_arn(&place("cn-north-1", OTHER_ACCOUNT), "reader"),
        "arn:aws-cn:iam::222222222222:role/reader"
    );
    assert_eq!(
        role_arn(&place("us-gov-west-1", OTHER_ACCOUNT), "reader"),
        "arn:aws-us-gov:iam::222222222222:role/reader"
    );
    assert_eq!(
        role_arn(&place("us-isob-east-1", OTHER_ACCOUNT), "reader"),
        "arn:aws-iso-b:iam::222222222222:role/reader"
    );
    assert_eq!(
        role_arn(&place("us-iso-east-1", OTHER_ACCOUNT), "reader"),
        "arn:aws-iso:iam::222222222222:role/reader"
    );
    assert!(is_role_name("pipeguard-alarms-reader") && !is_role_name("") && !is_role_name("a/b"));
}

#[test]
fn a_watched_alarm_blocks_only_in_a_blocking_state() {
    let entries = watch(&["web-5xx", "web-latency", "web-errors"]);
    let answered = readings(vec![
        reading("web-5xx", &own(), AlarmState::Alarm),
        reading("web-latency", &own(), AlarmState::InsufficientData),
        reading("web-errors", &own(), AlarmState::Ok),
    ]);
    let default = assess(&entries, DEFAULT_ALARM_STATES, &answered);
    assert_eq!(names_of(&default.blocking), ["web-5xx"]);
    assert!(default.unmatched.is_empty());
    assert_eq!(default.watched, 3);
    let with_no_data = assess(
        &entries,
        &[AlarmState::Alarm, AlarmState::InsufficientData],
        &answered,
    );
    assert_eq!(names_of(&with_no_data.blocking), ["web-5xx", "web-latency"]);
}

#[test]
fn an_alarm_the_watch_does_not_name_never_blocks() {
    let answered = readings(vec![
        reading("web-5xx", &own(), AlarmState::Ok),
        // Answered for a prefix of another entry, or by an over-eager emulator: not watched.
        reading("other", &own(), AlarmState::Alarm),
        // The same name in another region: a bare name is the gate's own region's.
        reading("web-5xx", &place("eu-west-1", OWN_ACCOUNT), AlarmState::Alarm),
    ]);
    let found = assess(&watch(&["web-5xx"]), DEFAULT_ALARM_STATES, &answered);
    assert!(found.blocking.is_empty(), "{:?}", found.blocking);
    assert!(found.unmatched.is_empty());
}

#[test]
fn an_arn_watches_its_own_region_and_account_only() {
    let eu = place("eu-west-1", OTHER_ACCOUNT);
    let answered = readings(vec![
        reading("db-cpu", &own(), AlarmState::Alarm),
        reading("db-cpu", &eu, AlarmState::Alarm),
    ]);
    let found = assess(
        &watch(&["arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu"]),
        DEFAULT_ALARM_STATES,
        &answered,
    );
    assert_eq!(found.blocking.len(), 1);
    assert_eq!(found.blocking[0].place, eu);
}

#[test]
fn a_name_or_prefix_that_matches_no_alarm_is_named() {
    let entries = watch(&[
        "web-5xx",
        "web-5xxx",
        "db-*",
        "cache-*",
        "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:web-5xx",
    ]);
    let answered = readings(vec![
        reading("web-5xx", &own(), AlarmState::Ok),
        reading("db-cpu", &own(), AlarmState::Ok),
    ]);
    let found = assess(&entries, DEFAULT_ALARM_STATES, &answered);
    assert_eq!(
        found.unmatched,
        [entries[1].clone(), entries[3].clone(), entries[4].clone()]
    );
    let error = unmatched_error(&found.unmatched, &own());
    for named in [
        "alarm name `web-5xxx` (us-east-1, account 111111111111)",
        "alarm name prefix `cache-*` (us-east-1, account 111111111111)",
        "alarm name `web-5xx` (eu-west-1, account 111111111111)",
    ] {
        assert!(error.contains(named), "{named} not in {error}");
    }
}

#[test]
fn an_alarm_named_twice_blocks_once_and_a_prefix_catches_composites() {
    let mut composite = reading("web-overall", &own(), AlarmState::Alarm);
    composite.kind = AlarmKind::Composite;
    let answered = readings(vec![
        reading("web-5xx", &own(), AlarmState::Alarm),
        composite,
        // Asked by name and by prefix: answered twice.
        reading("web-5xx", &own(), AlarmState::Alarm),
    ]);
    let found = assess(&watch(&["web-5xx", "web-*"]), DEFAULT_ALARM_STATES, &answered);
    assert_eq!(names_of(&found.blocking), ["web-5xx", "web-overall"]);
    assert_eq!(found.watched, 2);
}

#[test]
fn whatever_the_answer_every_watched_alarm_in_a_blocking_state_blocks_and_no_other() {
    // Property-style: every mix of states, places and entries over a small alphabet.
    let places = [own(), place("eu-west-1", OWN_ACCOUNT)];
    let states = [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData];
    let entries = watch(&["a", "b*", "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:c"]);
    let names = ["a", "b1", "b2", "c"];
    for seed in 0..(3usize.pow(4) * 4) {
        let alarms: Vec<AlarmReading> = names
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let state = states[(seed / 3usize.pow(index as u32)) % 3].clone();
                reading(name, &places[(seed >> index) % 2], state)
            })
            .collect();
        let answered = readings(alarms.clone());
        for blocking_states in [
            &[AlarmState::Alarm][..],
            &[AlarmState::Alarm, AlarmState::InsufficientData],
        ] {
            let found = assess(&entries, blocking_states, &answered);
            for alarm in &alarms {
                let watched = entries.iter().any(|entry| {
                    *entry.place_or(&own()) == alarm.place && entry.pattern.matches(&alarm.name)
                });
                let blocks = found.blocking.contains(alarm);
                assert_eq!(
                    blocks,
                    watched && blocking_states.contains(&alarm.state),
                    "seed {seed}: {alarm:?}"
                );
            }
        }
    }
}

#[test]
fn a_blocking_alarm_reads_with_where_its_state_since_when_and_why_shortened() {
    let mut alarm = reading("web-5xx", &place("eu-west-1", OTHER_ACCOUNT), AlarmState::Alarm);
    alarm.kind = AlarmKind::Composite;
    alarm.reason = format!("Threshold Crossed:\u{1b}[31m {}", "x".repeat(500));
    let line = alarm.describe();
    for part in [
        "CloudWatch composite alarm web-5xx",
        "in eu-west-1, account 222222222222",
        "is ALARM since 2025-11-22 08:26 UTC",
        ": Threshold Crossed:\\u{1b}[31m xxx",
        crate::text::TRUNCATION_MARK,
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(line.chars().count() < 300, "{line}");
    assert!(!line.contains('\u{1b}'), "{line}");
    alarm.since = None;
    assert!(alarm.describe().contains("since an unknown time"));
}
