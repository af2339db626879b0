//! Oracle Cloud for the scenarios and the demo: a signing key and a home with the OCI CLI's
//! config, as a person who ran `oci setup config` has them.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// The key id `home_with_config`'s profile signs as.
pub const KEY_ID: &str = "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/20:3b:97:13:55";

/// A 2048-bit key: its PKCS#8 PEM, and the public key registered with Resource Manager.
pub fn key_pair() -> (String, String) {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).expect("a key");
    let pkcs8: Pkcs8V1Der = key.as_der().expect("PKCS#8");
    let body = STANDARD.encode(pkcs8.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap_or_default())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    (pem, STANDARD.encode(key.public_key().as_ref()))
}

/// The passphrase of `encrypted_key`.
pub const PASSPHRASE: &str = "pipeguard test passphrase";

/// A 2048-bit key encrypted as `oci setup keys --passphrase` writes it (shared/oci/testdata), and
/// the public key registered with Resource Manager.
pub fn encrypted_key() -> (&'static str, &'static str) {
    (
        include_str!("../../../shared/oci/testdata/oci-setup-keys.pem"),
        include_str!("../../../shared/oci/testdata/public-key.der.b64").trim(),
    )
}

/// A home directory with `~/.oci/config` (profile DEFAULT) and its key file, each readable by
/// its owner alone.
pub fn home_with_config(pem: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("pipeguard-oci-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(home.join(".oci")).expect("a temporary home");
    std::fs::write(home.join(".oci/key.pem"), pem).expect("the key file");
    std::fs::write(
        home.join(".oci/config"),
        "[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint=20:3b:97:13:55\nkey_file=~/.oci/key.pem\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\n",
    )
    .expect("the config file");
    // The owner's alone, as `oci setup config` writes them: no permissions warning.
    for file in [".oci/key.pem", ".oci/config"] {
        std::fs::set_permissions(home.join(file), std::fs::Permissions::from_mode(0o600))
            .expect("the owner's");
    }
    home
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}
