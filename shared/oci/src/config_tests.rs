use super::*;

const FILE: &str = "/home/ci/.oci/config";

const CONFIG: &str = "\
# written by oci setup config
[DEFAULT]
user=ocid1.user.oc1..u
fingerprint=20:3b:97:13
key_file=~/.oci/oci_api_key.pem
tenancy=ocid1.tenancy.oc1..t
region=us-ashburn-1

[ci]
user = ocid1.user.oc1..ci
region: eu-frankfurt-1

[locked]
pass_phrase=secret-never-shown

[broken]
key_file=
";

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

#[test]
fn a_profile_is_its_own_keys_over_the_defaults() {
    let default = from_config_file(CONFIG, FILE, "DEFAULT", Some("/home/ci"), env(&[])).unwrap();
    assert_eq!(
        default,
        Identity {
            credentials: Credentials::ApiKey {
                key_id: "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/20:3b:97:13".into(),
                key: Source::File(PathBuf::from("/home/ci/.oci/oci_api_key.pem")),
                passphrase: None,
            },
            region: Some("us-ashburn-1".into()),
        }
    );
    let ci = from_config_file(CONFIG, FILE, "ci", Some("/home/ci"), env(&[])).unwrap();
    assert_eq!(ci.region.as_deref(), Some("eu-frankfurt-1"));
    assert!(
        matches!(ci.credentials, Credentials::ApiKey { key_id, .. } if key_id == "ocid1.tenancy.oc1..t/ocid1.user.oc1..ci/20:3b:97:13")
    );
}

#[test]
fn what_is_missing_is_named() {
    let unknown = from_config_file(CONFIG, FILE, "prod", None, env(&[])).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "/home/ci/.oci/config has no profile [prod] (it has: DEFAULT, broken, ci, locked)"
    );
    let broken = from_config_file(CONFIG, FILE, "broken", None, env(&[])).unwrap_err();
    assert!(broken.to_string().contains("lacks key_file"), "{broken}");
    let empty = from_config_file("", FILE, "DEFAULT", None, env(&[])).unwrap_err();
    assert!(empty.to_string().contains("(it has: none)"), "{empty}");
}

#[test]
fn a_resource_principal_is_read_from_values_or_absolute_paths() {
    let inline = resource_principal(env(&[
        ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
        ("OCI_RESOURCE_PRINCIPAL_RPST", "eyJhbGciOi.token"),
        ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", "/var/run/rp/key.pem"),
        ("OCI_RESOURCE_PRINCIPAL_REGION", "us-phoenix-1"),
    ]))
    .unwrap();
    assert_eq!(
        inline,
        Identity {
            credentials: Credentials::ResourcePrincipal {
                token: Source::Inline("eyJhbGciOi.token".into()),
                private_key: Source::File(PathBuf::from("/var/run/rp/key.pem")),
                passphrase: None,
            },
            region: Some("us-phoenix-1".into()),
        }
    );
    let secret = Identity {
        credentials: Credentials::ResourcePrincipal {
            token: Source::Inline("eyJhbGciOi.token".into()),
            private_key: Source::Inline("-----BEGIN PRIVATE KEY-----".into()),
            passphrase: Some(Source::Inline("secret-never-shown".into())),
        },
        region: None,
    };
    assert!(
        !format!("{secret:?}").contains("eyJ")
            && !format!("{secret:?}").contains("BEGIN")
            && !format!("{secret:?}").contains("secret-never-shown"),
        "{secret:?}"
    );
    let absent = resource_principal(env(&[])).unwrap_err();
    assert!(
        absent
            .to_string()
            .contains("OCI_RESOURCE_PRINCIPAL_VERSION is not set"),
        "{absent}"
    );
    let old = resource_principal(env(&[("OCI_RESOURCE_PRINCIPAL_VERSION", "1.1")])).unwrap_err();
    assert!(old.to_string().contains("reads version 2.2"), "{old}");
    let partial = resource_principal(env(&[
        ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
        ("OCI_RESOURCE_PRINCIPAL_RPST", "t"),
    ]))
    .unwrap_err();
    assert!(
        partial
            .to_string()
            .contains("needs OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"),
        "{partial}"
    );
}

#[test]
fn a_passphrase_is_the_profiles_or_the_variables_and_never_shown() {
    let locked = from_config_file(CONFIG, FILE, "locked", None, env(&[])).unwrap();
    let Credentials::ApiKey { passphrase, .. } = &locked.credentials else {
        panic!("{locked:?}");
    };
    assert_eq!(passphrase, &Some(Source::Inline("secret-never-shown".into())));
    assert!(
        !format!("{locked:?}").contains("secret-never-shown"),
        "{locked:?}"
    );
    // A passphrase that looks like a path is still the passphrase.
    let variable = from_config_file(
        CONFIG,
        FILE,
        "locked",
        None,
        env(&[("OCI_CLI_PASSPHRASE", "/not/a/path")]),
    )
    .unwrap();
    assert!(matches!(
        variable.credentials,
        Credentials::ApiKey { passphrase: Some(Source::Inline(value)), .. } if value == "/not/a/path"
    ));
    // Each profile's own passphrase wins over DEFAULT's, whichever way either is spelled; a
    // key's content is never taken from the file.
    let layered = from_config_file(
        "[DEFAULT]\npass_phrase=default\n[p]\nuser=u\ntenancy=t\nfingerprint=f\nkey_file=/k\nkey_content=not-from-a-file\npassphrase=own\n",
        FILE,
        "p",
        None,
        env(&[]),
    )
    .unwrap();
    assert_eq!(
        layered.credentials,
        Credentials::ApiKey {
            key_id: "t/u/f".into(),
            key: Source::File(PathBuf::from("/k")),
            passphrase: Some(Source::Inline("own".into())),
        }
    );
    let go_spelling = from_config_file(
        "[DEFAULT]\nuser=u\ntenancy=t\nfingerprint=f\nkey_file=/k\npassphrase=p\n",
        FILE,
        "DEFAULT",
        None,
        env(&[]),
    )
    .unwrap();
    assert!(matches!(
        go_spelling.credentials,
        Credentials::ApiKey { passphrase: Some(Source::Inline(value)), .. } if value == "p"
    ));
}

#[test]
fn the_oci_cli_variables_win_over_the_profile_and_can_stand_alone() {
    let overridden = from_config_file(
        CONFIG,
        FILE,
        "ci",
        Some("/home/ci"),
        env(&[
            ("OCI_CLI_USER", "ocid1.user.oc1..env"),
            ("OCI_CLI_KEY_FILE", "~/other.pem"),
        ]),
    )
    .unwrap();
    assert_eq!(
        overridden.credentials,
        Credentials::ApiKey {
            key_id: "ocid1.tenancy.oc1..t/ocid1.user.oc1..env/20:3b:97:13".into(),
            key: Source::File(PathBuf::from("/home/ci/other.pem")),
            passphrase: None,
        }
    );
    assert_eq!(overridden.region.as_deref(), Some("eu-frankfurt-1"));
    let alone = [
        ("OCI_CLI_USER", "ocid1.user.oc1..env"),
        ("OCI_CLI_TENANCY", "ocid1.tenancy.oc1..env"),
        ("OCI_CLI_FINGERPRINT", "aa:bb"),
        ("OCI_CLI_KEY_CONTENT", "-----BEGIN PRIVATE KEY-----"),
        ("OCI_CLI_KEY_FILE", "/ignored/for/the/content.pem"),
        ("OCI_CLI_REGION", "us-ashburn-1"),
    ];
    assert!(environment_suffices(env(&alone), false));
    assert!(!environment_suffices(env(&alone[..3]), true));
    assert!(!environment_suffices(env(&alone[1..]), true));
    // Without a region, as the OCI CLI decides, the config file is read (for its region).
    assert!(!environment_suffices(env(&alone[..5]), false));
    assert!(environment_suffices(env(&alone[..5]), true));
    let identity = from_environment(None, env(&alone)).unwrap();
    assert_eq!(
        identity,
        Identity {
            credentials: Credentials::ApiKey {
                key_id: "ocid1.tenancy.oc1..env/ocid1.user.oc1..env/aa:bb".into(),
                key: Source::Inline("-----BEGIN PRIVATE KEY-----".into()),
                passphrase: None,
            },
            region: None,
        }
    );
    assert!(!format!("{identity:?}").contains("BEGIN"), "{identity:?}");
    let lacking = from_config_file(
        "[DEFAULT]\nuser=u\n",
        FILE,
        "DEFAULT",
        None,
        env(&[("OCI_CLI_TENANCY", "t")]),
    )
    .unwrap_err();
    assert_eq!(
        lacking.to_string(),
        "profile [DEFAULT] of /home/ci/.oci/config lacks fingerprint, key_file (as `oci setup config` writes them, \
         or OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_FINGERPRINT and OCI_CLI_KEY_FILE set)"
    );
}

#[test]
fn a_resource_principals_passphrase_is_given_as_its_key_is() {
    let principal = |key: &str, passphrase: &str| {
        resource_principal(env(&[
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
            ("OCI_RESOURCE_PRINCIPAL_RPST", "t"),
            ("OCI_RESOURCE_PRINCIPAL_REGION", "us-phoenix-1"),
            ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key),
            ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE", passphrase),
        ]))
    };
    let files = principal("/rp/key.pem", "/rp/passphrase").unwrap();
    assert!(matches!(
        files.credentials,
        Credentials::ResourcePrincipal { passphrase: Some(Source::File(path)), .. } if path.as_path() == std::path::Path::new("/rp/passphrase")
    ));
    let values = principal("-----BEGIN", " spaced passphrase ").unwrap();
    assert!(matches!(
        values.credentials,
        Credentials::ResourcePrincipal { passphrase: Some(Source::Inline(value)), .. } if value == " spaced passphrase "
    ));
    for (key, passphrase) in [("/rp/key.pem", "inline"), ("-----BEGIN", "/rp/passphrase")] {
        let mixed = principal(key, passphrase).unwrap_err();
        assert!(
            mixed
                .to_string()
                .contains("must both be absolute paths, or both be values"),
            "{mixed}"
        );
    }
}

#[test]
fn a_file_others_may_read_or_write_gets_the_oci_clis_warning_unless_it_is_suppressed() {
    for private in [0o100600, 0o100400] {
        assert_eq!(
            permissions_warning("/h/.oci/key.pem", private, None),
            None,
            "{private:o}"
        );
    }
    for open in [0o100644, 0o100640, 0o100604, 0o100660, 0o100700] {
        let warning = permissions_warning("/h/.oci/key.pem", open, None).unwrap_or_default();
        assert!(
            warning.starts_with("WARNING: Permissions on /h/.oci/key.pem are too open."),
            "{open:o}: {warning}"
        );
        assert!(warning.contains("oci setup repair-file-permissions --file /h/.oci/key.pem"));
    }
    assert_eq!(
        permissions_warning("/h/.oci/config", 0o100644, Some("True")),
        None
    );
    assert!(
        permissions_warning("/h/.oci/config", 0o100644, Some("true")).is_some(),
        "the CLI hides it for `True` only"
    );
}
