//! `pipeguard oci`: Oracle Cloud Infrastructure Resource Manager stacks (issue 20, in progress on
//! this branch: the signer first).

// Not yet called: `pipeguard oci` is wired once the client and the commands exist.
#[allow(dead_code)]
mod client;
#[allow(dead_code)]
mod config;
#[allow(dead_code)]
mod signer;
