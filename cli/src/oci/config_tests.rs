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
region = eu-frankfurt-1

[locked]
pass_phrase=secret-never-shown

[broken]
key_file=
";

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

#[test]
fn a_profile_is_its_own_keys_over_the_defaults() {
    let default = from_config_file(CONFIG, FILE, "DEFAULT", Some("/home/ci")).unwrap();
    assert_eq!(
        default,
        Identity {
            credentials: Credentials::ApiKey {
                key_id: "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/20:3b:97:13".into(),
                key_file: PathBuf::from("/home/ci/.oci/oci_api_key.pem"),
            },
            region: Some("us-ashburn-1".into()),
        }
    );
    let ci = from_config_file(CONFIG, FILE, "ci", Some("/home/ci")).unwrap();
    assert_eq!(ci.region.as_deref(), Some("eu-frankfurt-1"));
    assert!(
        matches!(ci.credentials, Credentials::ApiKey { key_id, .. } if key_id == "ocid1.tenancy.oc1..t/ocid1.user.oc1..ci/20:3b:97:13")
    );
}

#[test]
fn what_is_missing_or_unsupported_is_named_and_no_secret_is_shown() {
    let unknown = from_config_file(CONFIG, FILE, "prod", None).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "/home/ci/.oci/config has no profile [prod] (it has: DEFAULT, broken, ci, locked)"
    );
    let broken = from_config_file(CONFIG, FILE, "broken", None).unwrap_err();
    assert!(broken.to_string().contains("lacks key_file"), "{broken}");
    let locked = from_config_file(CONFIG, FILE, "locked", None).unwrap_err();
    assert!(
        locked
            .to_string()
            .contains("encrypted keys are not supported yet"),
        "{locked}"
    );
    assert!(!locked.to_string().contains("secret-never-shown"), "{locked}");
    let empty = from_config_file("", FILE, "DEFAULT", None).unwrap_err();
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
            },
            region: Some("us-phoenix-1".into()),
        }
    );
    let secret = Identity {
        credentials: Credentials::ResourcePrincipal {
            token: Source::Inline("eyJhbGciOi.token".into()),
            private_key: Source::Inline("-----BEGIN PRIVATE KEY-----".into()),
        },
        region: None,
    };
    assert!(
        !format!("{secret:?}").contains("eyJ") && !format!("{secret:?}").contains("BEGIN"),
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
