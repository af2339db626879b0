//! Where an AWS resource lives, as its ARN says: one region of one account (an alarm, a Change
//! Calendar).

use crate::health::{is_account_id, is_region_code};
use crate::text::printable;
use std::fmt;

/// One region of one account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, account {}", self.region, self.account)
    }
}

impl Place {
    /// The place an ARN's region and account fields name (a regional resource: not `global`),
    /// or why they do not name one, quoting `arn`.
    pub fn of_arn(arn: &str, region: &str, account: &str) -> Result<Self, String> {
        if !is_region_code(region) || region == "global" {
            return Err(format!(
                "`{}`: `{}` is not an AWS region code",
                printable(arn),
                printable(region)
            ));
        }
        if !is_account_id(account) {
            return Err(format!(
                "`{}`: `{}` is not a 12-digit AWS account id",
                printable(arn),
                printable(account)
            ));
        }
        Ok(Self {
            region: region.to_owned(),
            account: account.to_owned(),
        })
    }
}
