//! OCI's request signatures, version 1: draft-cavage HTTP signatures with rsa-sha256, as the OCI
//! SDKs make them (shared/oci/OCI-FACTS.md, section 1). The cryptography is aws-lc-rs's, already in the
//! build through rustls; the key never leaves this type and is never printed.

use crate::key::{self, KeyError};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A request as it is signed: what goes into the signing string.
#[derive(Debug, Clone)]
pub(crate) struct Unsigned<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The host, as the `host` header says it.
    pub host: &'a str,
    /// The path and query, encoded as they are sent.
    pub path_and_query: &'a str,
    /// The `date` header (RFC 7231, e.g. `Thu, 05 Jan 2014 21:31:40 GMT`).
    pub date: &'a str,
    /// The body and its content type, for POST, PUT and PATCH (an empty body is still one).
    pub body: Option<(&'a str, &'a [u8])>,
}

/// Signs requests with one key, under one key id (`tenancy/user/fingerprint`, or `ST$<token>`).
pub struct Signer {
    key_id: String,
    key: RsaKeyPair,
}

/// Shows neither the key nor a resource principal's key id, which is its token (`ST$...`).
impl std::fmt::Debug for Signer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key_id = if self.key_id.starts_with("ST$") {
            "ST$.."
        } else {
            &self.key_id
        };
        formatter
            .debug_struct("Signer")
            .field("key_id", &key_id)
            .finish_non_exhaustive()
    }
}

/// The headers each request signs, in order, as the SDKs list them.
fn signed_headers(has_body: bool) -> &'static str {
    if has_body {
        "date (request-target) host content-length content-type x-content-sha256"
    } else {
        "date (request-target) host"
    }
}

/// The base64 SHA-256 of a body, for `x-content-sha256`.
pub(crate) fn content_sha256(body: &[u8]) -> String {
    STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
}

/// The signing string: one `name: value` line per signed header, in `signed_headers` order.
pub(crate) fn signing_string(request: &Unsigned) -> String {
    let mut lines = vec![
        format!("date: {}", request.date),
        format!(
            "(request-target): {} {}",
            request.method.to_ascii_lowercase(),
            request.path_and_query
        ),
        format!("host: {}", request.host),
    ];
    if let Some((content_type, body)) = request.body {
        lines.push(format!("content-length: {}", body.len()));
        lines.push(format!("content-type: {content_type}"));
        lines.push(format!("x-content-sha256: {}", content_sha256(body)));
    }
    lines.join("\n")
}

impl Signer {
    /// A signer with the PEM private key `pem`, decrypted with `passphrase` when it is encrypted.
    pub(crate) fn from_pem(key_id: &str, pem: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        Ok(Self {
            key_id: key_id.to_owned(),
            key: key::read(pem, passphrase)?,
        })
    }

    /// The headers to add to `request`: `x-content-sha256`, `content-length` and `content-type`
    /// for one with a body, and `authorization`.
    pub(crate) fn headers(&self, request: &Unsigned) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some((content_type, body)) = request.body {
            headers.push(("content-type", content_type.to_owned()));
            headers.push(("content-length", body.len().to_string()));
            headers.push(("x-content-sha256", content_sha256(body)));
        }
        headers.push(("authorization", self.authorization(request)));
        headers
    }

    /// The `authorization` header's value.
    pub(crate) fn authorization(&self, request: &Unsigned) -> String {
        let mut signature = vec![0; self.key.public_modulus_len()];
        // Signing with a key aws-lc-rs accepted cannot fail but for a wrong buffer length,
        // which public_modulus_len rules out; an empty signature would be refused with 401.
        let signed = self
            .key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_string(request).as_bytes(),
                &mut signature,
            )
            .is_ok();
        let signature = if signed {
            STANDARD.encode(&signature)
        } else {
            String::new()
        };
        format!(
            "Signature version=\"1\",headers=\"{}\",keyId=\"{}\",algorithm=\"rsa-sha256\",signature=\"{signature}\"",
            signed_headers(request.body.is_some()),
            self.key_id
        )
    }
}

#[cfg(test)]
#[path = "signer_tests.rs"]
mod tests;
