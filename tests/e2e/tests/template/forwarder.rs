//! The Health forwarders, alone and as the organization StackSet deploys them: what a deployed
//! stack keeps, the one bus each puts on, and every forwarder parameter passed on.

use super::{plain, reference, resources_of, role_statements, yaml};
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn the_forwarder_keeps_what_deployed_stacks_have_and_puts_only_on_the_bus_it_targets() {
    let forwarder = yaml("infra/health-forwarder.yaml");
    // Stacks deployed from earlier releases update in place: the same parameter (the new one has
    // a default that means what they had), resources and output.
    assert!(forwarder["Parameters"]["PipeguardRegion"]["Default"].is_null());
    assert_eq!(forwarder["Parameters"]["PipeguardAccountId"]["Default"], "");
    assert_eq!(
        forwarder["Parameters"]["PipeguardAccountId"]["AllowedPattern"],
        "^([0-9]{12})?$"
    );
    assert!(!forwarder["Outputs"]["ForwardingRuleArn"].is_null());
    let role = &forwarder["Resources"]["ForwardingRole"];
    let rule = &forwarder["Resources"]["ForwardHealthEvents"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert_eq!(rule["Type"], "AWS::Events::Rule");
    // Both exist only where the region or the account differs: a rule forwarding to its own bus
    // would deliver every event twice.
    let condition = rule["Condition"].as_str().unwrap_or_default();
    assert_eq!(role["Condition"].as_str(), Some(condition));
    let test = format!("{:?}", forwarder["Conditions"][condition]);
    assert!(
        test.contains("Or") && test.contains("AWS::Region"),
        "{condition}: {test}"
    );

    let targets = rule["Properties"]["Targets"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    assert_eq!(targets.len(), 1, "one target: pipeguard's bus");
    let target = &targets[0]["Arn"];
    let statements = role_statements(role);
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(plain(&statements[0]["Action"]), Some("events:PutEvents"));
    assert_eq!(
        &statements[0]["Resource"], target,
        "PutEvents on the one bus it targets"
    );
    let arn = format!("{target:?}");
    for part in [
        "${PipeguardRegion}",
        "event-bus/default",
        "PipeguardAccountId",
        "AWS::AccountId",
    ] {
        assert!(arn.contains(part), "the target names {part}: {arn}");
    }
}

#[test]
fn the_organization_stackset_deploys_the_one_forwarder_template_everywhere_asked() {
    let organization = yaml("infra/health-forwarder-organization.yaml");
    let forwarder = yaml("infra/health-forwarder.yaml");
    let stacksets = resources_of(&organization, "AWS::CloudFormation::StackSet");
    assert_eq!(stacksets.len(), 1, "{stacksets:?}");
    let properties = &stacksets.values().next().expect("one StackSet")["Properties"];

    // One source: the StackSet names the forwarder's file, which `sam deploy` uploads and
    // replaces with its S3 address; no copy of it lives here.
    assert!(
        properties["TemplateBody"].is_null(),
        "no inline copy of the forwarder"
    );
    let url = plain(&properties["TemplateURL"]).unwrap_or_default();
    let infra = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra");
    assert_eq!(
        infra.join(url).canonicalize().ok(),
        infra.join("health-forwarder.yaml").canonicalize().ok(),
        "TemplateURL {url:?} is the forwarder's file, relative to the organization template"
    );

    assert_eq!(properties["PermissionModel"], "SERVICE_MANAGED");
    assert_eq!(properties["AutoDeployment"]["Enabled"].as_bool(), Some(true));
    let capabilities = format!("{:?}", properties["Capabilities"]);
    assert!(
        capabilities.contains("CAPABILITY_NAMED_IAM"),
        "the forwarder creates roles, the alarms' reader by the name given: {capabilities}"
    );
    assert_eq!(reference(&properties["CallAs"]), Some("CallAs"));

    // Every forwarder parameter is passed (the account too: without it, each member account's
    // forwarder would target its own bus), from the organization template's parameter of the
    // same name, and nothing else.
    let passed: BTreeMap<String, String> = properties["Parameters"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|parameter| {
            (
                parameter["ParameterKey"].as_str().unwrap_or_default().to_owned(),
                reference(&parameter["ParameterValue"])
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = forwarder["Parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(name, _)| name.as_str())
        .map(|name| (name.to_owned(), name.to_owned()))
        .collect();
    assert_eq!(passed, expected);
    assert!(
        organization["Parameters"]["PipeguardAccountId"]["Default"].is_null(),
        "the central account is required"
    );

    let groups = properties["StackInstancesGroup"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(
        reference(&groups[0]["DeploymentTargets"]["OrganizationalUnitIds"]),
        Some("OrganizationalUnitIds")
    );
    assert_eq!(reference(&groups[0]["Regions"]), Some("Regions"));
}
