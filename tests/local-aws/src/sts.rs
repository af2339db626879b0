//! AWS STS over the Query protocol: GetCallerIdentity. Every caller is the emulator's account;
//! the access key that signed the call names the role and the session, as a function's own
//! name does in Lambda (its key is its name).

use crate::Shared;
use crate::state::ACCOUNT;
use crate::wire::{AwsError, STS_XMLNS, xml_escape};
use std::sync::Arc;

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
                "Could not find operation {other} for version 2011-06-15 (local-aws emulates GetCallerIdentity only)"
            ),
        )),
    }
}

#[cfg(test)]
#[path = "sts_tests.rs"]
mod tests;
