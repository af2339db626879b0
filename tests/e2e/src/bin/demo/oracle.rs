//! Chapter 15 of the demo: Oracle Cloud Resource Manager stacks, applied and rolled back by
//! `pipeguard oci`.

use crate::story::Story;
use serde_json::{Value, json};

/// Chapter 15: Oracle Cloud Resource Manager stacks, applied and rolled back by `pipeguard oci`.
pub async fn oracle_stacks(story: &mut Story) {
    story.say(
        "15. Oracle Cloud: pipeguard oci apply, rolled back to the newest good apply when the apply fails",
    );
    const STACK: &str = "ocid1.ormstack.oc1.iad.shop";
    const NEW_STACK: &str = "ocid1.ormstack.oc1.iad.brand-new";
    println!(
        "  (signed as a user whose key is encrypted, as `oci setup keys --passphrase` writes it; its passphrase is in OCI_CLI_PASSPHRASE)"
    );
    let (pem, public) = e2e::oci::encrypted_key();
    story.local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": e2e::oci::KEY_ID, "public_key_der_base64": public}),
    );
    story.local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": STACK, "outcomes": ["succeed", "succeed", "fail:TERRAFORM_EXECUTION_ERROR:Error: 400-LimitExceeded, compute quota reached", "succeed"]}),
    );
    story.local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": NEW_STACK, "outcomes": ["fail:TERRAFORM_EXECUTION_ERROR:Error: bad variable"]}),
    );
    let home = e2e::oci::home_with_config(pem);
    let home_dir = home.display().to_string();
    let endpoint = story.local.emulator.url();
    let apply = async |stack: &str| {
        let (code, stdout, stderr) = story
            .local
            .cli(
                &[
                    "--json",
                    "oci",
                    "apply",
                    "--stack",
                    stack,
                    "--endpoint",
                    &endpoint,
                ],
                &[
                    ("HOME", home_dir.as_str()),
                    ("OCI_CLI_PASSPHRASE", e2e::oci::PASSPHRASE),
                ],
            )
            .await;
        let answer: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        println!(
            "  $ pipeguard oci apply --stack {stack}   (exit {code})\n    {}{}",
            answer["message"].as_str().unwrap_or_default(),
            stderr.trim()
        );
        (code, answer)
    };
    let (first, first_answer) = apply(STACK).await;
    let (second, second_answer) = apply(STACK).await;
    let (third, rolled_back) = apply(STACK).await;
    let (fresh, skipped) = apply(NEW_STACK).await;
    let _ = std::fs::remove_dir_all(home);
    story.check(
        "two applies of the stack succeed (exit 0)",
        (first, second) == (0, 0)
            && first_answer["outcome"] == "applied"
            && second_answer["outcome"] == "applied",
    );
    story.check(
        "the third fails with TERRAFORM_EXECUTION_ERROR and is rolled back to the newest good apply, not the oldest (exit 1)",
        third == 1
            && rolled_back["outcome"] == "rolled_back"
            && rolled_back["target"]["id"] == second_answer["apply"]["id"]
            && rolled_back["target"]["id"] != first_answer["apply"]["id"],
    );
    story.check(
        "a stack with no good apply is not rolled back, and says so (exit 1)",
        fresh == 1
            && skipped["outcome"] == "no_target"
            && skipped["message"].as_str().is_some_and(|message| {
                message.ends_with(&format!("no earlier successful apply of stack {NEW_STACK}"))
            }),
    );
}
