//! Every setting read from the environment (the gate's `GATE_*`, stage-retry's `RETRY_*`,
//! apply-rollback's `ROLLBACK_*`, the shell's endpoints, table, topic and trust store) and the
//! gate's UserParameters: any value gives a policy that keeps its limits, or an error that
//! names the variable or field and says why.

use crate::alarms::alarms_setting;
use crate::calendars::calendars_setting;
use crate::config;
use crate::json::{Mutated, Step, arbitrary_json, huge_text, mutated, short_text};
use crate::schedule::{blackout, near_window, window};
use pipeguard_core::alarm::{AlarmPattern, AlarmState};
use pipeguard_core::calendar::MAX_CALENDARS;
use pipeguard_core::config::{SettingError, env_number};
use pipeguard_core::gate::{GateDefaults, GatePolicy, MAX_ACCOUNTS};
use pipeguard_core::retry::RetryPolicies;
use pipeguard_core::rollback::RollbackPolicies;
use pipeguard_core::schedule::{Blackout, ScheduleError, Window};
use pipeguard_core::testing::env_of;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const GATE_VARIABLES: [&str; 17] = [
    "GATE_REGIONS",
    "GATE_SERVICES",
    "GATE_CATEGORIES",
    "GATE_STATUSES",
    "GATE_IGNORE_EVENT_TYPES",
    "GATE_ON_BLOCK",
    "GATE_MAX_WAIT_MINUTES",
    "GATE_ON_HEALTH_ERROR",
    "GATE_BLOCK_WHILE_RUNNING",
    "GATE_HEALTH_SOURCE",
    "GATE_ACCOUNTS",
    "GATE_WINDOWS",
    "GATE_BLACKOUTS",
    "GATE_ALARMS",
    "GATE_ALARM_STATES",
    "GATE_CHANGE_CALENDARS",
    "HEALTH_EVENTS_TABLE",
];
const RETRY_VARIABLES: [&str; 12] = [
    "RETRY_MAX_ATTEMPTS",
    "RETRY_MODE",
    "RETRY_STAGES",
    "RETRY_ACTIONS",
    "RETRY_ERROR_CODES",
    "RETRY_NEVER_STAGES",
    "RETRY_NEVER_ACTIONS",
    "RETRY_NEVER_ERROR_CODES",
    "RETRY_DELAY_SECONDS",
    "RETRY_PIPELINE_POLICIES",
    "RETRY_PIPELINES",
    "RETRY_PIPELINE_PREFIX",
];
const ROLLBACK_VARIABLES: [&str; 7] = [
    "ROLLBACK_STAGES",
    "ROLLBACK_CATEGORIES",
    "ROLLBACK_PROVIDERS",
    "ROLLBACK_ERROR_CODES",
    "ROLLBACK_MESSAGE_PATTERN",
    "ROLLBACK_DRY_RUN",
    "ROLLBACK_PIPELINE_POLICIES",
];
/// Values that are, or nearly are, what the settings take.
const PLAUSIBLE: [&str; 64] = [
    "us-east-1",
    "222233334444",
    "2222-3333-4444",
    "22223333444",
    "000000000000",
    "global",
    "eu-west-1",
    "us-gov-west-1",
    "US-EAST-1",
    "us east",
    "us-east-",
    "EC2",
    "lambda",
    "issue",
    "open",
    "upcoming",
    "closed",
    "scheduledChange",
    "AWS_EC2_OPERATIONAL_ISSUE",
    "fail",
    "wait",
    "fail-open",
    "fail-closed",
    "api",
    "events",
    "auto",
    "0",
    "1",
    "60",
    "1410",
    "1411",
    "10",
    "11",
    "300",
    "301",
    "-1",
    "4294967296",
    " 7 ",
    "+5",
    "ALARM",
    "INSUFFICIENT_DATA",
    "OK",
    "web-*",
    "*",
    "arn:aws:cloudwatch:us-east-1:222233334444:alarm:web-5xx",
    "year-end-freeze",
    "arn:aws:ssm:us-east-1:222233334444:document/year-end",
    "FAILED_ACTIONS",
    "ALL_ACTIONS",
    "true",
    "false",
    "TRUE",
    "Deploy",
    "CloudFormation",
    "JobFailed",
    "ConfigurationError",
    "cleanup",
    "a@b.c_d-1",
    "(",
    "[a-",
    "x{2,}",
    "\\",
    "é",
    "",
];

fn plausible_list() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(PLAUSIBLE.to_vec()),
            prop::sample::select(vec!["", " ", "  "]),
        ),
        0..14,
    )
    .prop_map(|items| {
        items
            .iter()
            .map(|(item, space)| format!("{space}{item}"))
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// What a variable may be set to.
fn setting_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => plausible_list(),
        2 => short_text(),
        1 => any::<String>(),
        1 => arbitrary_json().prop_map(|value| value.to_string()),
        1 => huge_text(),
    ]
}

fn retry_policies_seed() -> Value {
    json!({
        "web-app": {"max_attempts": 3, "retry_mode": "ALL_ACTIONS", "stages": ["Deploy"], "actions": ["ApplyStack"],
                    "error_codes": ["JobFailed"], "never_stages": ["Source"], "never_actions": [],
                    "never_error_codes": ["ConfigurationError"], "delay_seconds": 30},
        "api": {"max_attempts": 0}
    })
}

fn rollback_policies_seed() -> Value {
    json!({
        "infra": {"stages": ["Deploy"], "categories": ["Deploy"], "providers": ["CloudFormation"],
                  "error_codes": ["JobFailed"], "message_pattern": "Rate exceeded|TERRAFORM_[A-Z_]+", "dry_run": true}
    })
}

const SEED_WINDOWS: [&str; 2] = ["Mon-Fri 09:00-17:00 Europe/Berlin", "Sat,Sun 22:00-02:00 UTC"];
const SEED_BLACKOUTS: [&str; 2] = [
    "2026-12-20..2027-01-04 Europe/Berlin",
    "2027-04-01 America/New_York",
];

/// `count` distinct account ids.
fn account_ids(count: usize) -> Vec<String> {
    (0..count)
        .map(|n| format!("{:012}", 222_233_334_444 + n))
        .collect()
}

/// Every field the gate reads from UserParameters, each set, with `accounts` ids.
fn user_parameters_with(accounts: usize) -> Value {
    json!({"regions": ["us-east-1", "global"], "services": ["EC2", "lambda"], "categories": ["issue", "scheduledChange"],
           "statuses": ["open", "upcoming"], "ignore_event_types": ["AWS_EC2_OPERATIONAL_ISSUE"], "on_block": "wait",
           "max_wait_minutes": 90, "on_health_error": "fail-open", "block_while_running": ["cleanup", "a@b.c_d-1"],
           "accounts": account_ids(accounts), "health_source": "auto", "windows": SEED_WINDOWS, "blackouts": SEED_BLACKOUTS,
           "ignore_freezes": true, "alarms": ["web-5xx", "web-*", "arn:aws:cloudwatch:eu-west-1:222233334444:alarm:db-cpu"],
           "alarm_states": ["ALARM", "INSUFFICIENT_DATA"], "alarms_role": "pipeguard-alarms-reader", "bake_minutes": 30,
           "change_calendars": ["year-end", "arn:aws:ssm:eu-west-1:222233334444:document/release-train"]})
}

fn user_parameters_seed() -> Value {
    user_parameters_with(3)
}

/// The seed with a few accounts, exactly as many as one query takes, or one more: mutations of
/// the long lists land in `accounts` most of the time, so the short one carries the rest.
fn user_parameters_seeds() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => Just(user_parameters_seed()),
        1 => Just(user_parameters_with(MAX_ACCOUNTS)),
        1 => Just(user_parameters_with(MAX_ACCOUNTS + 1)),
    ]
}

/// A `;`-separated list of schedule expressions as a `GATE_WINDOWS` or `GATE_BLACKOUTS` value:
/// valid ones, valid ones with a piece cut out or replaced, and text near the grammar.
fn schedule_setting(expression: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let broken = (expression.clone(), any::<Index>(), any::<Index>(), near_window()).prop_map(
        |(text, from, to, piece)| {
            let chars: Vec<char> = text.chars().collect();
            let (from, to) = (from.index(chars.len() + 1), to.index(chars.len() + 1));
            let (from, to) = (from.min(to), from.max(to));
            let mut broken: String = chars[..from].iter().collect();
            broken.push_str(&piece);
            broken.extend(&chars[to..]);
            broken
        },
    );
    let item = prop_oneof![4 => expression, 2 => broken, 1 => near_window()];
    (
        prop::collection::vec(item, 0..4),
        prop::sample::select(vec![";", "; ", " ;", ";;", "\n;"]),
    )
        .prop_map(|(items, separator)| items.join(separator))
}

/// How `GATE_WINDOWS` and `GATE_BLACKOUTS` read: the `;`-separated items, blanks dropped.
fn schedule_items(value: &str) -> Vec<&str> {
    value
        .split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// A variable's value; for the per-pipeline policies also the documented shape, broken.
fn value_for(variable: &'static str) -> BoxedStrategy<String> {
    let seed = match variable {
        "RETRY_PIPELINE_POLICIES" => retry_policies_seed(),
        "ROLLBACK_PIPELINE_POLICIES" => rollback_policies_seed(),
        "ROLLBACK_MESSAGE_PATTERN" => {
            return prop_oneof![setting_value(), "[a-zA-Z0-9(){}\\[\\]*+?|^$.\\\\,:-]{0,40}"].boxed();
        }
        "GATE_WINDOWS" => {
            return prop_oneof![1 => setting_value(), 3 => schedule_setting(window().boxed())].boxed();
        }
        "GATE_BLACKOUTS" => {
            return prop_oneof![1 => setting_value(), 3 => schedule_setting(blackout().boxed())].boxed();
        }
        "GATE_ALARMS" => return prop_oneof![1 => setting_value(), 3 => alarms_setting()].boxed(),
        "GATE_CHANGE_CALENDARS" => {
            return prop_oneof![1 => setting_value(), 3 => calendars_setting()].boxed();
        }
        _ => return setting_value().boxed(),
    };
    prop_oneof![
        setting_value(),
        Just(seed.to_string()),
        mutated(seed).prop_map(|mutated| mutated.value.to_string()),
    ]
    .boxed()
}

fn one_setting(variables: &'static [&'static str]) -> impl Strategy<Value = (&'static str, String)> {
    prop::sample::select(variables).prop_flat_map(|variable| (Just(variable), value_for(variable)))
}

fn some_settings(
    variables: &'static [&'static str],
) -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    prop::collection::vec(one_setting(variables), 0..variables.len())
        .prop_map(|settings| settings.into_iter().collect())
}

fn environment(pairs: &BTreeMap<&str, String>) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    env_of(&pairs)
}

/// An error names a setting that was set (`variables`), and says why.
fn check_names_one_of(error: &SettingError, variables: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(
        variables.iter().any(|variable| error
            .setting
            .starts_with(&format!("environment variable {variable}"))),
        "{error} names none of {variables:?}"
    );
    prop_assert!(!error.reason.trim().is_empty(), "{error}");
    Ok(())
}

/// The limits every gate policy keeps, however it was configured.
fn check_gate_policy(policy: &GatePolicy) -> Result<(), TestCaseError> {
    prop_assert!(!policy.regions.is_empty());
    prop_assert!((1..=pipeguard_core::gate::MAX_WAIT_MINUTES_LIMIT).contains(&policy.max_wait_minutes));
    prop_assert!(policy.block_while_running.len() <= 10);
    prop_assert!(policy.accounts.len() <= pipeguard_core::gate::MAX_ACCOUNTS);
    prop_assert!(
        policy
            .accounts
            .iter()
            .all(|account| pipeguard_core::health::is_account_id(account)),
        "{:?}",
        policy.accounts
    );
    prop_assert!(!policy.categories.is_empty() && !policy.statuses.is_empty());
    prop_assert!(
        policy
            .bake_minutes
            .is_none_or(|minutes| (1..=pipeguard_core::gate::MAX_BAKE_MINUTES).contains(&minutes)),
        "{:?}",
        policy.bake_minutes
    );
    prop_assert!(!policy.alarm_states.is_empty());
    prop_assert!(
        policy
            .alarm_states
            .iter()
            .all(|state| matches!(state, AlarmState::Alarm | AlarmState::InsufficientData)),
        "{:?}",
        policy.alarm_states
    );
    for entry in &policy.alarms {
        let (AlarmPattern::Exact(name) | AlarmPattern::Prefix(name)) = &entry.pattern;
        prop_assert!(
            !name.is_empty() && !name.contains('*') && !name.chars().any(char::is_control),
            "{entry:?}"
        );
        if let Some(place) = &entry.place {
            prop_assert!(
                pipeguard_core::health::is_region_code(&place.region)
                    && place.region != "global"
                    && pipeguard_core::health::is_account_id(&place.account),
                "{entry:?}"
            );
        }
    }
    if let Some(role) = &policy.alarms_role {
        prop_assert!(pipeguard_core::alarm::is_role_name(role), "{role:?}");
    }
    prop_assert!(
        policy.change_calendars.len() <= MAX_CALENDARS,
        "{:?}",
        policy.change_calendars
    );
    for calendar in &policy.change_calendars {
        prop_assert!(
            (3..=128).contains(&calendar.name.len())
                && calendar.place.as_ref().is_none_or(|place| {
                    pipeguard_core::health::is_region_code(&place.region)
                        && place.region != "global"
                        && pipeguard_core::health::is_account_id(&place.account)
                }),
            "{calendar:?}"
        );
    }
    for code in policy.services.iter().chain(&policy.ignore_event_types) {
        prop_assert!(
            !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{code}"
        );
    }
    Ok(())
}

/// The function-wide policy: what an action without UserParameters gets.
fn check_gate_defaults(defaults: &GateDefaults) -> Result<(), TestCaseError> {
    match defaults.for_action(None) {
        Ok(policy) => check_gate_policy(&policy),
        Err(error) => Err(TestCaseError::fail(format!(
            "no UserParameters is an error: {error}"
        ))),
    }
}

fn check_retry(policies: &RetryPolicies) -> Result<(), TestCaseError> {
    for pipeline in ["web-app", "api", "other"] {
        let policy = policies.for_pipeline(pipeline);
        prop_assert!(
            policy.max_attempts <= 10 && policy.delay_seconds <= 300,
            "{policy:?}"
        );
    }
    Ok(())
}

fn check_rollback(policies: &RollbackPolicies) -> Result<(), TestCaseError> {
    for pipeline in ["infra", "other"] {
        let policy = policies.for_pipeline(pipeline);
        prop_assert!(!policy.categories.is_empty(), "{policy:?}");
        prop_assert!(
            policy
                .categories
                .iter()
                .all(|category| !category.trim().is_empty()),
            "{policy:?}"
        );
    }
    Ok(())
}

/// An expression as the schedule keeps it: its words, one space apart.
fn as_kept(expression: &str) -> String {
    expression.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a mutation changed `field` of a UserParameters object, or something inside it, or
/// the whole object.
fn touched_field(mutated: &Mutated, field: &str) -> bool {
    mutated.touched.iter().any(|path| match path.first() {
        None => true,
        Some(Step::Key(key)) => key == field,
        Some(Step::At(_)) => false,
    })
}

/// The UserParameters field an error names (`accounts` for `accounts[3]`), if it names one.
fn field_named(error: &SettingError) -> Option<&str> {
    let field = error.setting.strip_prefix("UserParameters field `")?;
    field.split(['[', '.', '`']).next()
}

/// The SDK configuration the shell's readers build clients from; no credentials, no calls.
fn sdk_config() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn one_gate_setting_is_a_policy_or_an_error_naming_it((variable, value) in one_setting(&GATE_VARIABLES), store in any::<bool>()) {
        let mut pairs = vec![("AWS_REGION", "us-east-1"), (variable, value.as_str())];
        if store && variable != "HEALTH_EVENTS_TABLE" {
            pairs.push(("HEALTH_EVENTS_TABLE", "events"));
        }
        match GateDefaults::from_env(env_of(&pairs)) {
            Ok(defaults) => check_gate_defaults(&defaults)?,
            Err(error) => check_names_one_of(&error, &[variable])?,
        }
    }

    #[test]
    fn any_gate_environment_is_a_policy_or_an_error_naming_a_variable(
        mut settings in some_settings(&GATE_VARIABLES),
        region in prop::option::of(prop_oneof![Just("us-east-1".to_owned()), short_text()]),
    ) {
        if let Some(region) = region {
            settings.insert("AWS_REGION", region);
        }
        let mut named: Vec<&str> = settings.keys().copied().collect();
        // With no region anywhere, the error names where one is set.
        named.push("GATE_REGIONS");
        match GateDefaults::from_env(environment(&settings)) {
            Ok(defaults) => check_gate_defaults(&defaults)?,
            Err(error) => check_names_one_of(&error, &named)?,
        }
    }

    /// `GATE_WINDOWS` and `GATE_BLACKOUTS` read as each of their `;`-separated expressions, in
    /// order, or as an error naming the first that does not read, by its place, and quoting it.
    #[test]
    fn a_schedule_setting_is_its_expressions_or_names_the_first_bad_one(
        (variable, value) in prop::sample::select(vec!["GATE_WINDOWS", "GATE_BLACKOUTS"])
            .prop_flat_map(|variable| (Just(variable), value_for(variable))),
    ) {
        let windows = variable == "GATE_WINDOWS";
        let parse = |item: &str| -> Result<(), ScheduleError> {
            if windows { Window::parse(item).map(drop) } else { Blackout::parse(item).map(drop) }
        };
        let items = schedule_items(&value);
        let first_bad = items.iter().enumerate().find_map(|(place, item)| parse(item).err().map(|error| (place, error)));
        let read = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1"), (variable, value.as_str())]))
            .and_then(|defaults| defaults.for_action(None));
        match (read, first_bad) {
            (Ok(policy), None) => {
                let kept = if windows { policy.schedule.windows() } else { policy.schedule.blackouts() };
                let expected: Vec<String> = items.iter().map(|item| as_kept(item)).collect();
                prop_assert_eq!(kept, expected);
            }
            (Err(error), Some((place, bad))) => {
                prop_assert_eq!(error.setting, format!("environment variable {variable}[{place}]"));
                prop_assert_eq!(error.reason, bad.to_string());
            }
            (read, first_bad) => prop_assert!(false, "{value:?} read as {read:?}; its first bad expression: {first_bad:?}"),
        }
    }

    /// Any UserParameters: a policy within the limits, or an error naming UserParameters (or
    /// one of its fields) and why.
    #[test]
    fn any_user_parameters_are_a_policy_or_a_named_error(
        user_parameters in prop_oneof![
            setting_value(),
            user_parameters_seeds().prop_flat_map(mutated).prop_map(|mutated| mutated.value.to_string()),
            user_parameters_seeds().prop_flat_map(mutated).prop_map(|mutated| format!("  {}\n", mutated.value)),
        ],
        store in any::<bool>(),
    ) {
        let mut pairs = vec![("AWS_REGION", "us-east-1")];
        if store {
            pairs.push(("HEALTH_EVENTS_TABLE", "events"));
        }
        let defaults = GateDefaults::from_env(env_of(&pairs));
        let defaults = match defaults {
            Ok(defaults) => defaults,
            Err(error) => return Err(TestCaseError::fail(error.to_string())),
        };
        match defaults.for_action(Some(&user_parameters)) {
            Ok(policy) => check_gate_policy(&policy)?,
            Err(error) => {
                prop_assert!(error.setting.starts_with("UserParameters"), "{error}");
                prop_assert!(!error.reason.trim().is_empty(), "{error}");
            }
        }
    }

    /// UserParameters with every field set, as written or mutated: each field no mutation
    /// touched reads as written (the windows, the blackouts, `ignore_freezes`, the accounts), more
    /// accounts than one query takes are an error naming `accounts`, and any other error names
    /// what a mutation changed.
    #[test]
    fn user_parameters_read_the_fields_no_mutation_touched(
        user_parameters in user_parameters_seeds().prop_flat_map(|seed| prop_oneof![
            1 => Just(Mutated { value: seed.clone(), touched: Vec::new() }),
            4 => mutated(seed),
        ]),
    ) {
        // The seed's own accounts, when the mutation left them.
        let accounts = user_parameters.value.get("accounts").and_then(Value::as_array).map_or(0, Vec::len);
        let too_many = !touched_field(&user_parameters, "accounts") && accounts > MAX_ACCOUNTS;
        let defaults = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1")]));
        let defaults = match defaults {
            Ok(defaults) => defaults,
            Err(error) => return Err(TestCaseError::fail(error.to_string())),
        };
        match defaults.for_action(Some(&user_parameters.value.to_string())) {
            Ok(policy) => {
                check_gate_policy(&policy)?;
                prop_assert!(!too_many, "{} accounts read as {:?}", accounts, policy.accounts);
                if !touched_field(&user_parameters, "windows") {
                    prop_assert_eq!(policy.schedule.windows(), SEED_WINDOWS.to_vec());
                }
                if !touched_field(&user_parameters, "blackouts") {
                    prop_assert_eq!(policy.schedule.blackouts(), SEED_BLACKOUTS.to_vec());
                }
                if !touched_field(&user_parameters, "ignore_freezes") {
                    prop_assert!(policy.ignore_freezes, "ignore_freezes lost");
                }
                if !touched_field(&user_parameters, "accounts") {
                    prop_assert_eq!(policy.accounts, account_ids(accounts));
                }
                if !touched_field(&user_parameters, "alarms") {
                    prop_assert_eq!(policy.alarms.len(), 3, "{:?}", policy.alarms);
                }
                if !touched_field(&user_parameters, "bake_minutes") {
                    prop_assert_eq!(policy.bake_minutes, Some(30));
                }
                if !touched_field(&user_parameters, "alarm_states") {
                    prop_assert_eq!(policy.alarm_states, vec![AlarmState::Alarm, AlarmState::InsufficientData]);
                }
                if !touched_field(&user_parameters, "alarms_role") {
                    prop_assert_eq!(policy.alarms_role.as_deref(), Some("pipeguard-alarms-reader"));
                }
                if !touched_field(&user_parameters, "change_calendars") {
                    prop_assert_eq!(policy.change_calendars.len(), 2, "{:?}", policy.change_calendars);
                }
            }
            Err(error) => {
                prop_assert!(!error.reason.trim().is_empty(), "{error}");
                match field_named(&error) {
                    Some(field) => prop_assert!(
                        touched_field(&user_parameters, field) || (field == "accounts" && too_many),
                        "{error} names a field no mutation changed"
                    ),
                    None => {
                        prop_assert_eq!(&error.setting, "UserParameters");
                        prop_assert!(!user_parameters.touched.is_empty(), "the seed as written is refused: {error}");
                    }
                }
            }
        }
    }

    #[test]
    fn one_retry_setting_is_a_policy_or_an_error_naming_it((variable, value) in one_setting(&RETRY_VARIABLES)) {
        match RetryPolicies::from_env(env_of(&[(variable, value.as_str())])) {
            Ok(policies) => check_retry(&policies)?,
            Err(error) => check_names_one_of(&error, &[variable])?,
        }
    }

    #[test]
    fn any_retry_environment_is_a_policy_or_an_error_naming_a_variable(settings in some_settings(&RETRY_VARIABLES)) {
        let named: Vec<&str> = settings.keys().copied().collect();
        match RetryPolicies::from_env(environment(&settings)) {
            Ok(policies) => check_retry(&policies)?,
            Err(error) => check_names_one_of(&error, &named)?,
        }
    }

    #[test]
    fn one_rollback_setting_is_a_policy_or_an_error_naming_it((variable, value) in one_setting(&ROLLBACK_VARIABLES)) {
        match RollbackPolicies::from_env(env_of(&[(variable, value.as_str())])) {
            Ok(policies) => check_rollback(&policies)?,
            Err(error) => check_names_one_of(&error, &[variable])?,
        }
    }

    #[test]
    fn any_rollback_environment_is_a_policy_or_an_error_naming_a_variable(settings in some_settings(&ROLLBACK_VARIABLES)) {
        let named: Vec<&str> = settings.keys().copied().collect();
        match RollbackPolicies::from_env(environment(&settings)) {
            Ok(policies) => check_rollback(&policies)?,
            Err(error) => check_names_one_of(&error, &named)?,
        }
    }

    /// A whole number reads as itself; anything else is an error that quotes it.
    #[test]
    fn a_number_setting_is_the_number_or_an_error_quoting_the_value(
        value in prop_oneof![any::<u32>().prop_map(|n| format!(" {n}\t")), setting_value()],
    ) {
        let lookup = env_of(&[("N", value.as_str())]);
        match env_number(&lookup, "N") {
            Ok(Some(number)) => prop_assert_eq!(value.trim().parse::<u64>(), Ok(u64::from(number))),
            Ok(None) => prop_assert!(false, "a set variable read as unset"),
            Err(error) => {
                prop_assert_eq!(&error.setting, "environment variable N");
                prop_assert!(error.reason.contains(value.trim()), "{error}");
            }
        }
    }

    /// The shell's settings: the trust store, the topic, the event store's table and the Health
    /// endpoints, whatever their values, build what they name (and ask no AWS endpoint or DNS).
    #[test]
    fn the_shells_settings_build_what_they_name(
        cert_file in prop::option::of(setting_value()),
        cert_dir in prop::option::of(setting_value()),
        topic in prop::option::of(setting_value()),
        table in prop::option::of(setting_value()),
        endpoints in setting_value().prop_filter("set", |urls| !urls.trim().is_empty()),
    ) {
        let mut settings = BTreeMap::new();
        for (name, value) in [("SSL_CERT_FILE", &cert_file), ("SSL_CERT_DIR", &cert_dir), ("NOTIFY_TOPIC_ARN", &topic), ("HEALTH_EVENTS_TABLE", &table)] {
            if let Some(value) = value {
                settings.insert(name, value.clone());
            }
        }
        settings.insert("PIPEGUARD_HEALTH_ENDPOINTS", endpoints);
        // Never reached while PIPEGUARD_HEALTH_ENDPOINTS is set; there so that nothing asks DNS.
        settings.insert("AWS_ENDPOINT_URL_HEALTH", "http://127.0.0.1:9".into());
        let set = |value: &Option<String>| value.as_ref().is_some_and(|value| !value.trim().is_empty());

        // The process's environment as the functions read it: once, blanks dropped.
        let env = pipeguard_aws::Environment::from_pairs(settings.iter().map(|(name, value)| (*name, value.clone())));
        let roots = pipeguard_aws::TrustRoots::for_lambda(&env);
        prop_assert_eq!(roots == pipeguard_aws::TrustRoots::Native, set(&cert_file) || set(&cert_dir));

        let config = sdk_config();
        prop_assert_eq!(pipeguard_aws::Notifier::from_env(&config, &env).is_enabled(), set(&topic));

        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let runtime = match runtime {
            Ok(runtime) => runtime,
            Err(error) => return Err(TestCaseError::fail(error.to_string())),
        };
        let stack_table = pipeguard_aws::Table::from_env(&config, &env);
        let freezes = stack_table.clone().map(pipeguard_aws::FreezeStore::in_table);
        let sources = runtime.block_on(pipeguard_aws::HealthSources::from_env(&config, &env, stack_table));
        let table = table.filter(|table| !table.trim().is_empty()).map(|table| table.trim().to_owned());
        prop_assert_eq!(sources.store().map(|store| store.table().to_owned()), table.clone());
        prop_assert_eq!(freezes.map(|store| store.table().to_owned()), table);
    }
}
