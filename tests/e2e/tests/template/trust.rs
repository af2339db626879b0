//! Who may move a deploy, as the templates say it: which rule may invoke which function, which
//! events each rule takes (evaluated with EventBridge's matching, `pattern.rs`), what the
//! organization may put on the stack's bus, what stage-retry may write, what the notification key
//! lets CloudWatch do, what survives the stack, and what the example pipeline's role may invoke.

use super::pattern;
use super::{functions, plain, reference, resources_of, role_statements, statements, template, yaml};
use pipeguard_aws::{FREEZES_PARTITION, OVERRIDES_PARTITION};
use serde_json::{Value as Json, json};
use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

/// The stack's account in these tests, and a member account of its organization.
const OWN: &str = "111122223333";
const MEMBER: &str = "222233334444";

/// The resource and attribute a `!GetAtt` (or `{"Fn::GetAtt": ...}`) names.
fn get_att(value: &Yaml) -> Option<(String, String)> {
    let target = match value {
        Yaml::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Yaml::Mapping(map) if map.len() == 1 => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match target {
        Yaml::String(dotted) => dotted
            .split_once('.')
            .map(|(resource, attribute)| (resource.to_owned(), attribute.to_owned())),
        Yaml::Sequence(parts) => match parts.as_slice() {
            [resource, attribute] => Some((resource.as_str()?.to_owned(), attribute.as_str()?.to_owned())),
            _ => None,
        },
        _ => None,
    }
}

/// The values a template's `!Ref`s take here: each parameter's default, the pseudo parameters,
/// and `given`.
fn parameters(template: &Yaml, given: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = template["Parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(name, parameter)| {
            let default = match &parameter["Default"] {
                Yaml::String(text) => text.clone(),
                Yaml::Number(number) => number.to_string(),
                _ => return None,
            };
            Some((name.as_str()?.to_owned(), default))
        })
        .collect();
    for (name, value) in [
        ("AWS::AccountId", OWN),
        ("AWS::Region", "eu-west-1"),
        ("AWS::Partition", "aws"),
    ]
    .into_iter()
    .chain(given.iter().copied())
    {
        values.insert(name.to_owned(), value.to_owned());
    }
    values
}

/// An event as EventBridge delivers it.
fn event(source: &str, detail_type: &str, account: &str, detail: Json) -> Json {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": "2026-12-07T15:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail
    })
}

/// A rule of the stack that invokes one of its functions.
struct Rule {
    /// None for a schedule, which no event put on the bus can match.
    pattern: Option<Json>,
    function: String,
}

/// Every rule of the stack that invokes a function, by logical id: the template's own, and any a
/// function's SAM `Events` would generate (SAM names them `<Function><Event>`).
fn rules(template: &Yaml) -> BTreeMap<String, Rule> {
    let values = parameters(template, &[]);
    let mut rules = BTreeMap::new();
    for (name, rule) in resources_of(template, "AWS::Events::Rule") {
        let targets = rule["Properties"]["Targets"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        assert_eq!(targets.len(), 1, "{name}: one target, its function");
        let (function, _) = get_att(&targets[0]["Arn"]).unwrap_or_else(|| panic!("{name}: a function's Arn"));
        let pattern = &rule["Properties"]["EventPattern"];
        let pattern = (!pattern.is_null()).then(|| pattern::resolve(pattern, &values));
        rules.insert(name, Rule { pattern, function });
    }
    for (function, resource) in functions(template) {
        for (event, source) in resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            let pattern = match source["Type"].as_str() {
                Some("EventBridgeRule") => Some(pattern::resolve(&source["Properties"]["Pattern"], &values)),
                Some("Schedule") => None,
                other => panic!("{function}: an event source this test does not know: {other:?}"),
            };
            let name = format!("{function}{}", event.as_str().unwrap_or_default());
            rules.insert(
                name,
                Rule {
                    pattern,
                    function: function.clone(),
                },
            );
        }
    }
    rules
}

/// The rules an event reaches.
fn reached<'a>(rules: &'a BTreeMap<String, Rule>, event: &Json) -> BTreeSet<&'a str> {
    rules
        .iter()
        .filter(|(_, rule)| {
            rule.pattern
                .as_ref()
                .is_some_and(|pattern| pattern::matches(pattern, event))
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

#[test]
fn the_rules_that_act_on_the_stacks_own_account_take_no_other_accounts_events() {
    let rules = rules(&template());
    let unfrozen = |account| {
        event(
            "pipeguard",
            "pipeguard Freeze Ended",
            account,
            json!({"id": "frz-k3j9x2ab"}),
        )
    };
    let stage_failed = |account| {
        event(
            "aws.codepipeline",
            "CodePipeline Stage Execution State Change",
            account,
            json!({"pipeline": "web-app", "stage": "Deploy", "state": "FAILED", "execution-id": "e-1"}),
        )
    };
    let health = |account| {
        event(
            "aws.health",
            "AWS Health Event",
            account,
            json!({"eventArn": "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1", "service": "EC2", "statusCode": "open"}),
        )
    };

    assert_eq!(
        reached(&rules, &unfrozen(OWN)),
        BTreeSet::from(["StageRetryFunctionUnfrozen"])
    );
    let overridden = |account| {
        event(
            "pipeguard",
            "pipeguard Override Granted",
            account,
            json!({"override_id": "ovr-k3j9x2ab", "pipeline": "web-app", "kinds": ["freezes"]}),
        )
    };
    assert_eq!(
        reached(&rules, &overridden(OWN)),
        BTreeSet::from(["StageRetryFunctionUnfrozen"])
    );
    assert_eq!(
        reached(&rules, &overridden(MEMBER)),
        BTreeSet::new(),
        "an override from another account resumes nothing"
    );
    let alarm = |account, state| {
        event(
            "aws.cloudwatch",
            "CloudWatch Alarm State Change",
            account,
            json!({"alarmName": "web-5xx", "state": {"value": state}}),
        )
    };
    assert_eq!(
        reached(&rules, &alarm(OWN, "OK")),
        BTreeSet::from(["StageRetryFunctionAlarmCleared"])
    );
    assert_eq!(
        reached(&rules, &alarm(OWN, "ALARM")),
        BTreeSet::new(),
        "only a clearing"
    );
    assert_eq!(
        reached(&rules, &alarm(MEMBER, "OK")),
        BTreeSet::new(),
        "another account's alarm resumes nothing"
    );
    let calendar = |account: &str, state| {
        let mut changed = event(
            "aws.ssm",
            "Calendar State Change",
            account,
            json!({"state": state, "atTime": "2026-12-07T15:00:00Z"}),
        );
        changed["resources"] = json!([format!("arn:aws:ssm:eu-west-1:{account}:document/year-end")]);
        changed
    };
    assert_eq!(
        reached(&rules, &calendar(OWN, "OPEN")),
        BTreeSet::from(["StageRetryFunctionCalendarOpened"])
    );
    assert_eq!(
        reached(&rules, &calendar(OWN, "CLOSED")),
        BTreeSet::new(),
        "only an opening"
    );
    assert_eq!(
        reached(&rules, &calendar(MEMBER, "OPEN")),
        BTreeSet::new(),
        "another account's calendar resumes nothing"
    );
    assert_eq!(
        reached(&rules, &unfrozen(MEMBER)),
        BTreeSet::new(),
        "a pipeguard event from another account resumes nothing"
    );
    assert_eq!(
        reached(&rules, &stage_failed(OWN)),
        BTreeSet::from([
            "ApplyRollbackFunctionStageFailed",
            "StageRetryFunctionStageFailed"
        ])
    );
    assert_eq!(
        reached(&rules, &stage_failed(MEMBER)),
        BTreeSet::new(),
        "another account's stage failure neither retries nor rolls back anything here"
    );
    // The organization's forwarders put their accounts' AWS Health events here: recorded all.
    for account in [OWN, MEMBER] {
        assert_eq!(
            reached(&rules, &health(account)),
            BTreeSet::from(["StageRetryFunctionHealthEvent"]),
            "{account}"
        );
    }
    // The sweep is a schedule: no event put on the bus reaches it.
    let sweep = &rules["StageRetryFunctionSweep"];
    assert!(sweep.pattern.is_none(), "{:?}", sweep.pattern);
}

#[test]
fn cleanup_follows_only_the_deploy_pipeline_of_its_own_account() {
    let cleanup = yaml("infra/cleanup-after-deploy.yaml");
    let values = parameters(
        &cleanup,
        &[
            ("DeployPipeline", "prod-web-app"),
            ("CleanupPipeline", "prod-cleanup"),
        ],
    );
    let rule = &cleanup["Resources"]["CleanupAfterEveryDeploy"];
    let pattern = pattern::resolve(&rule["Properties"]["EventPattern"], &values);
    let ended = |account| {
        event(
            "aws.codepipeline",
            "CodePipeline Pipeline Execution State Change",
            account,
            json!({"pipeline": "prod-web-app", "state": "SUCCEEDED", "execution-id": "e-1"}),
        )
    };
    assert!(pattern::matches(&pattern, &ended(OWN)), "{pattern}");
    assert!(
        !pattern::matches(&pattern, &ended(MEMBER)),
        "a pipeline of the same name in another account starts no cleanup here: {pattern}"
    );
}

#[test]
fn each_function_is_invoked_by_its_own_rules_in_the_stacks_account_and_no_other() {
    let template = template();
    for (name, function) in functions(&template) {
        assert!(
            function["Properties"]["Events"].is_null(),
            "{name}: the template writes its rules and their permissions out"
        );
    }
    let rules = rules(&template);
    let permissions = resources_of(&template, "AWS::Lambda::Permission");
    let expected: BTreeSet<String> = rules.keys().map(|rule| format!("{rule}Permission")).collect();
    assert_eq!(
        permissions.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "one permission per rule, under the name SAM gave it"
    );
    for (name, permission) in &permissions {
        let properties = &permission["Properties"];
        let rule = name.trim_end_matches("Permission");
        assert_eq!(
            plain(&properties["Action"]),
            Some("lambda:InvokeFunction"),
            "{name}"
        );
        assert_eq!(
            plain(&properties["Principal"]),
            Some("events.amazonaws.com"),
            "{name}"
        );
        assert_eq!(
            get_att(&properties["SourceArn"]),
            Some((rule.to_owned(), "Arn".to_owned())),
            "{name}: only its rule"
        );
        // The rule's ARN is of the stack's account; a SourceAccount condition would make
        // EventBridge's invocations fail silently.
        assert!(
            properties.get("SourceAccount").is_none(),
            "{name}: no SourceAccount"
        );
        assert_eq!(
            reference(&properties["FunctionName"]),
            Some(rules[rule].function.as_str()),
            "{name}: the function its rule targets"
        );
    }
}

#[test]
fn the_rules_keep_the_ids_sam_gave_them_so_that_an_upgrade_updates_them_in_place() {
    let rules = resources_of(&template(), "AWS::Events::Rule");
    assert_eq!(
        rules.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "ApplyRollbackFunctionStageFailed",
            "StageRetryFunctionAlarmCleared",
            "StageRetryFunctionCalendarOpened",
            "StageRetryFunctionHealthEvent",
            "StageRetryFunctionStageFailed",
            "StageRetryFunctionSweep",
            "StageRetryFunctionUnfrozen"
        ]
    );
    for (name, rule) in &rules {
        let properties = &rule["Properties"];
        // A fixed name would replace the rule; SAM's had none.
        assert!(properties["Name"].is_null(), "{name}");
        let targets = properties["Targets"].as_sequence().cloned().unwrap_or_default();
        assert_eq!(
            plain(&targets[0]["Id"]),
            Some(format!("{name}LambdaTarget").as_str()),
            "{name}: SAM's target id"
        );
    }
}

#[test]
fn the_organization_may_put_only_aws_health_events_on_the_stacks_bus() {
    let template = template();
    let policies = resources_of(&template, "AWS::Events::EventBusPolicy");
    for (name, policy) in &policies {
        let condition = &policy["Properties"]["Statement"]["Condition"];
        // EventBridge's own example of a bus policy by source writes it this way: a PutEvents call
        // may carry several events, and each must be one.
        let each = &condition["ForAllValues:StringEquals"];
        assert_eq!(
            plain(&each["events:source"]),
            Some("aws.health"),
            "{name}: {condition:?}"
        );
        assert_eq!(
            plain(&each["events:detail-type"]),
            Some("AWS Health Event"),
            "{name}: {condition:?}"
        );
    }
    assert_eq!(policies.len(), 1, "{policies:?}");
}

/// The DynamoDB write actions: none of them may touch the freezes' partition from stage-retry.
const WRITES: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
];

/// The actions of a statement.
fn actions(statement: &Yaml) -> Vec<String> {
    match &statement["Action"] {
        Yaml::String(action) => vec![action.clone()],
        Yaml::Sequence(actions) => actions
            .iter()
            .filter_map(Yaml::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// IAM's wildcards in a string condition or an action: `*` for any run, `?` for one character.
fn like(pattern: &str, value: &str) -> bool {
    match pattern.chars().next() {
        None => value.is_empty(),
        Some('*') => (0..=value.len())
            .filter(|at| value.is_char_boundary(*at))
            .any(|at| like(&pattern[1..], &value[at..])),
        Some(wanted) => value.chars().next().is_some_and(|first| {
            (wanted == '?' || wanted == first)
                && like(&pattern[wanted.len_utf8()..], &value[first.len_utf8()..])
        }),
    }
}

/// Whether a statement applies to `action` on the event store's table for an item in
/// `partition`, by its actions, its resource and its conditions on `dynamodb:LeadingKeys`.
fn applies(statement: &Yaml, action: &str, partition: &str) -> bool {
    let on_the_table = plain(&statement["Resource"]) == Some("*")
        || get_att(&statement["Resource"]).is_some_and(|(resource, _)| resource == "HealthEventsTable");
    if !on_the_table || !actions(statement).iter().any(|granted| like(granted, action)) {
        return false;
    }
    let conditions = statement["Condition"].as_mapping().cloned().unwrap_or_default();
    conditions.iter().all(|(operator, keys)| {
        let operator = operator.as_str().unwrap_or_default();
        keys.as_mapping().into_iter().flatten().all(|(key, values)| {
            assert_eq!(key.as_str(), Some("dynamodb:LeadingKeys"), "{statement:?}");
            let values: Vec<&str> = match values {
                Yaml::Sequence(values) => values.iter().filter_map(Yaml::as_str).collect(),
                single => single.as_str().into_iter().collect(),
            };
            // One item, one leading key: ForAllValues and ForAnyValue agree on it.
            match operator {
                "ForAllValues:StringEquals" | "ForAnyValue:StringEquals" => values.contains(&partition),
                "ForAllValues:StringLike" | "ForAnyValue:StringLike" => {
                    values.iter().any(|value| like(value, partition))
                }
                "ForAllValues:StringNotLike" => !values.iter().any(|value| like(value, partition)),
                other => panic!("{other}: a condition this test does not evaluate"),
            }
        })
    })
}

#[test]
fn stage_retry_records_aws_health_events_and_may_never_write_the_freezes_or_overrides() {
    let functions = functions(&template());
    let statements = statements(&functions["StageRetryFunction"]);
    let with = |effect: &str, action: &str, partition: &str| {
        statements
            .iter()
            .any(|statement| statement["Effect"] == effect && applies(statement, action, partition))
    };
    for partition in [FREEZES_PARTITION, OVERRIDES_PARTITION] {
        for write in WRITES {
            assert!(
                with("Deny", write, partition),
                "{write} on {partition} is denied outright, whatever else a role is given"
            );
            assert!(
                !with("Allow", write, partition),
                "{write}: no Allow reaches {partition} either"
            );
        }
    }
    // What it must still do: record AWS Health events (by region, or global), read them back, and
    // read the freezes.
    for region in ["eu-west-1", "global"] {
        assert!(with("Allow", "dynamodb:PutItem", region), "{region}");
        assert!(!with("Deny", "dynamodb:PutItem", region), "{region}");
    }
    assert!(with("Allow", "dynamodb:GetItem", "eu-west-1"));
    // The sweep's backfill of the index: it reads the table whole and keeps its marker in
    // pipeguard's own partition, which no other pipeguard write reaches.
    assert!(with("Allow", "dynamodb:Scan", "eu-west-1"));
    assert!(with("Allow", "dynamodb:DescribeTable", "eu-west-1"));
    assert!(with("Allow", "dynamodb:PutItem", "pipeguard#store"));
    assert!(!with("Allow", "dynamodb:PutItem", "pipeguard#other"));
    assert!(with("Allow", "dynamodb:Query", FREEZES_PARTITION));
    assert!(with("Allow", "dynamodb:Query", OVERRIDES_PARTITION));
}

#[test]
fn the_gate_only_reads_the_event_store() {
    let functions = functions(&template());
    let granted: BTreeSet<String> = statements(&functions["HealthGateFunction"])
        .iter()
        .filter(|statement| statement["Effect"] == "Allow")
        .flat_map(actions)
        .filter(|action| action.starts_with("dynamodb:"))
        .collect();
    let reads = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem"];
    assert!(
        granted.iter().all(|action| reads.contains(&action.as_str())),
        "{granted:?}"
    );
}

#[test]
fn the_event_store_outlives_the_stack_and_any_replacement() {
    let table = &template()["Resources"]["HealthEventsTable"];
    // Resource attributes, not properties: adding them updates nothing in the table itself.
    assert_eq!(plain(&table["DeletionPolicy"]), Some("Retain"));
    assert_eq!(plain(&table["UpdateReplacePolicy"]), Some("Retain"));
    // Updated in place (UpdateTable), never a replacement.
    assert_eq!(
        table["Properties"]["DeletionProtectionEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn aws_services_may_use_the_notification_key_only_for_the_stacks_account() {
    let template = template();
    let keys = resources_of(&template, "AWS::KMS::Key");
    let statements: Vec<&Yaml> = keys
        .values()
        .flat_map(|key| key["Properties"]["KeyPolicy"]["Statement"].as_sequence())
        .flatten()
        .collect();
    let services: Vec<&&Yaml> = statements
        .iter()
        .filter(|statement| !statement["Principal"]["Service"].is_null())
        .collect();
    assert!(
        services
            .iter()
            .any(|statement| format!("{:?}", statement["Principal"]["Service"])
                .contains("cloudwatch.amazonaws.com")),
        "CloudWatch alarms publish to the topic: {statements:?}"
    );
    for statement in services {
        assert_eq!(
            reference(&statement["Condition"]["StringEquals"]["aws:SourceAccount"]),
            Some("AWS::AccountId"),
            "{statement:?}"
        );
    }
}

#[test]
fn the_example_pipelines_role_may_invoke_the_gate_and_nothing_else() {
    let example = yaml("infra/example-pipeline.yaml");
    let role = &example["Resources"]["PipelineRole"];
    let invoking: Vec<Yaml> = role_statements(role)
        .into_iter()
        .filter(|statement| {
            statement["Effect"] == "Allow"
                && actions(statement)
                    .iter()
                    .any(|action| like(action, "lambda:InvokeFunction"))
        })
        .collect();
    assert_eq!(invoking.len(), 1, "{invoking:?}");
    let resource = format!("{:?}", invoking[0]["Resource"]);
    assert!(
        resource.contains(":function:${HealthGateFunctionName}\""),
        "the gate's function only: {resource}"
    );
    // And the name given cannot be a wildcard that would reach every function: CloudFormation
    // refuses what its AllowedPattern does not match (a regular expression these simple ones
    // read the same in regex-lite).
    let pattern = example["Parameters"]["HealthGateFunctionName"]["AllowedPattern"]
        .as_str()
        .unwrap_or_default();
    let accepts = regex_lite::Regex::new(pattern).unwrap_or_else(|error| panic!("{pattern:?}: {error}"));
    for name in ["pipeguard-HealthGateFunction-AbC123xYz", "gate:live"] {
        assert!(accepts.is_match(name), "{name} refused by {pattern:?}");
    }
    for name in ["*", "pipeguard-*", "gate?", "", "gate:*"] {
        assert!(!accepts.is_match(name), "{name:?} accepted by {pattern:?}");
    }
}
