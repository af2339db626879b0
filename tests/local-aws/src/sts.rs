//! AWS STS over the Query protocol: GetCallerIdentity and AssumeRole. A caller is the emulator's
//! account, or the account of a role it assumed; the access key that signed the call names the
//! role and the session, as a function's own name does in Lambda (its key is its name).

use crate::Shared;
use crate::notify::iso_time;
use crate::state::{ACCOUNT, is_account_id, now};
use crate::wire::{AwsError, STS_XMLNS, xml_escape};
use std::sync::Arc;

/// How an access key that AssumeRole handed out begins: `ASIA.<account>.<role>.<caller>`.
const ASSUMED: &str = "ASIA.";
/// AssumeRole's `DurationSeconds` when the caller gives none, and its bounds.
const DEFAULT_SESSION_SECONDS: i64 = 3_600;
const SESSION_SECONDS: std::ops::RangeInclusive<i64> = 900..=43_200;

/// The account whose credentials signed a call: the account of the role a caller assumed, else
/// the emulator's.
pub fn account_of(caller: &str) -> &str {
    caller
        .strip_prefix(ASSUMED)
        .and_then(|rest| rest.split('.').next())
        .filter(|account| is_account_id(account))
        .unwrap_or(ACCOUNT)
}

/// The actions STS has, so that they reach STS (and answer InvalidAction) rather than SNS when
/// the signature does not say which service a call is for.
pub const ACTIONS: [&str; 9] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

/// A role id in AWS's shape (`AROA` and 17 more capitals and digits), the same for every call
/// with the same access key.
fn role_id(access_key: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut hash = access_key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    let mut id = String::from("AROA");
    for _ in 0..17 {
        id.push(char::from(ALPHABET[(hash % 32) as usize]));
        hash = (hash / 32) ^ hash.rotate_left(17);
    }
    id
}

pub fn handle(
    shared: &Arc<Shared>,
    action: &str,
    params: &[(String, String)],
    caller: &str,
) -> Result<String, AwsError> {
    let version = params
        .iter()
        .find(|(key, _)| key == "Version")
        .map(|(_, value)| value.as_str());
    if version.is_some_and(|version| version != "2011-06-15") {
        return Err(AwsError::new(
            400,
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                version.unwrap_or_default()
            ),
        ));
    }
    match action {
        "AssumeRole" => assume_role(shared, params, caller),
        "GetCallerIdentity" => {
            let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{caller}/{caller}");
            let user_id = format!("{}:{caller}", role_id(caller));
            let request_id = shared.state().id();
            Ok(format!(
                "<GetCallerIdentityResponse xmlns=\"{STS_XMLNS}\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                xml_escape(&arn),
                xml_escape(&user_id)
            ))
        }
        other => Err(AwsError::new(
            400,
            "InvalidAction",
            format!(
                "Could not find operation {other} for version 2011-06-15 (local-aws emulates GetCallerIdentity and AssumeRole only)"
            ),
        )),
    }
}

/// AssumeRole: temporary credentials of a role the admin interface declared (`POST iam/roles`),
/// for any caller; any other role is AccessDenied, as a role whose trust policy does not name
/// the caller is.
fn assume_role(shared: &Arc<Shared>, params: &[(String, String)], caller: &str) -> Result<String, AwsError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let missing = |name: &str| {
        AwsError::new(
            400,
            "ValidationError",
            format!(
                "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
            ),
        )
    };
    let role_arn = param("RoleArn").ok_or_else(|| missing("roleArn"))?;
    let session = param("RoleSessionName").ok_or_else(|| missing("roleSessionName"))?;
    let seconds = match param("DurationSeconds") {
        Some(text) => text.parse::<i64>().ok().filter(|seconds| SESSION_SECONDS.contains(seconds)).ok_or_else(|| {
            AwsError::new(
                400,
                "ValidationError",
                format!("1 validation error detected: Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"),
            )
        })?,
        None => DEFAULT_SESSION_SECONDS,
    };
    let role = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(account, name)| is_account_id(account) && !name.is_empty());
    let declared = role.is_some_and(|(account, name)| {
        shared
            .state()
            .roles
            .contains(&(account.to_owned(), name.to_owned()))
    });
    let Some((account, name)) = role.filter(|_| declared) else {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            format!(
                "User: arn:aws:sts::{}:assumed-role/{caller}/{caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                account_of(caller)
            ),
        ));
    };
    let key = format!("{ASSUMED}{account}.{name}.{caller}");
    let expires = iso_time(now() + seconds as f64);
    let request_id = shared.state().id();
    Ok(format!(
        "<AssumeRoleResponse xmlns=\"{STS_XMLNS}\"><AssumeRoleResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>local-aws</SecretAccessKey><SessionToken>local-aws-session</SessionToken><Expiration>{expires}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}:{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>",
        xml_escape(&key),
        role_id(&key),
        xml_escape(session),
        xml_escape(&format!("arn:aws:sts::{account}:assumed-role/{name}/{session}")),
    ))
}

/// `POST /_admin/iam/roles` `{"account", "name"}`: a role every caller may assume.
pub fn declare_role(shared: &Arc<Shared>, body: &serde_json::Value) -> Result<serde_json::Value, AwsError> {
    let field = |name: &str| body[name].as_str().map(str::to_owned);
    let invalid = |why: String| AwsError::new(400, "BadRequest", format!("invalid role: {why}"));
    let (Some(account), Some(name)) = (field("account"), field("name")) else {
        return Err(invalid("a role needs \"account\" and \"name\"".to_owned()));
    };
    if !is_account_id(&account) {
        return Err(invalid(format!(
            "account {account:?} is not a 12-digit account id"
        )));
    }
    let arn = format!("arn:aws:iam::{account}:role/{name}");
    shared.state().roles.insert((account, name));
    Ok(serde_json::json!({"arn": arn}))
}

#[cfg(test)]
#[path = "sts_tests.rs"]
mod tests;
