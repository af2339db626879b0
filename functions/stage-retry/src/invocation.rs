//! What every step of one invocation shares: its policies, and the account the function runs in.

use pipeguard_core::retry::RetryPolicies;

/// What every step of one invocation needs: the policies, and the account the function runs in
/// (the stack's: the event store keys its own events as it did before it knew accounts).
pub(crate) struct Invocation<'a> {
    pub(crate) policies: &'a RetryPolicies,
    pub(crate) own_account: &'a str,
}
