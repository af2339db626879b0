use super::*;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

#[test]
fn the_compiled_in_roots_are_five_whole_certificates() {
    let certificates: Vec<CertificateDer> = CertificateDer::pem_slice_iter(AMAZON_ROOTS.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(certificates.len(), 5);
}

#[test]
fn the_functions_trust_amazons_roots_unless_a_store_is_named() {
    let env = |pairs: &'static [(&'static str, &'static str)]| Environment::from_pairs(pairs.iter().copied());
    assert_eq!(TrustRoots::for_lambda(&env(&[])), TrustRoots::Amazon);
    assert_eq!(
        TrustRoots::for_lambda(&env(&[("SSL_CERT_FILE", " ")])),
        TrustRoots::Amazon
    );
    assert_eq!(
        TrustRoots::for_lambda(&env(&[("SSL_CERT_FILE", "/etc/corp/ca.pem")])),
        TrustRoots::Native
    );
    assert_eq!(
        TrustRoots::for_lambda(&env(&[("SSL_CERT_DIR", "/etc/ssl/certs")])),
        TrustRoots::Native
    );
}

#[test]
fn the_functions_take_the_environments_credentials_when_it_has_a_key_pair() {
    let env = |pairs: &'static [(&'static str, &'static str)]| Environment::from_pairs(pairs.iter().copied());
    let lambda = env(&[
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ]);
    assert_eq!(Credentials::for_lambda(&lambda), Credentials::Environment);
    // A key without its secret (or a blank one) is no key pair: the default chain looks further.
    assert_eq!(
        Credentials::for_lambda(&env(&[("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")])),
        Credentials::DefaultChain
    );
    assert_eq!(
        Credentials::for_lambda(&env(&[
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", " ")
        ])),
        Credentials::DefaultChain
    );
    assert_eq!(
        Credentials::for_lambda(&env(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/token")])),
        Credentials::DefaultChain
    );
}
