//! `pipeguard-oci`: the one place pipeguard talks to Oracle Cloud Infrastructure. Resource
//! Manager over HTTPS (`client`), at the endpoint of the region's realm (`regions`), each request
//! signed as the OCI SDKs sign it (`signer`) with an API key or a resource principal's key
//! (`key`), as whom the OCI CLI's config file, its variables or a resource principal says
//! (`config` reads them, `credentials` finds and reads their files). Every fact it relies on,
//! with its source, is in OCI-FACTS.md beside this crate.

pub mod client;
pub mod config;
pub mod credentials;
// Decrypting a PEM key takes AWS-LC's C functions: the crate's only unsafe code.
#[allow(unsafe_code)]
mod key;
mod regions;
pub mod signer;
