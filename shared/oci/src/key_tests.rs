//! The key reader against keys encrypted as OCI users' tools encrypt them (shared/oci/testdata).

use super::*;
use aws_lc_rs::signature::KeyPair;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const PASSPHRASE: &[u8] = b"pipeguard test passphrase";

/// Each encrypted form of the test key, by the name of its file.
const ENCRYPTED: [(&str, &[u8]); 4] = [
    (
        "oci-setup-keys.pem",
        include_bytes!("../testdata/oci-setup-keys.pem"),
    ),
    (
        "openssl3-genrsa-aes128.pem",
        include_bytes!("../testdata/openssl3-genrsa-aes128.pem"),
    ),
    (
        "traditional-aes128.pem",
        include_bytes!("../testdata/traditional-aes128.pem"),
    ),
    (
        "traditional-des3.pem",
        include_bytes!("../testdata/traditional-des3.pem"),
    ),
];

fn public_key() -> Vec<u8> {
    STANDARD
        .decode(include_str!("../testdata/public-key.der.b64").trim())
        .unwrap()
}

fn plain_pkcs8_pem(der: &[u8]) -> String {
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der)
    )
}

#[test]
fn every_encrypted_form_decrypts_with_its_passphrase_to_the_same_key() {
    let public = public_key();
    for (file, pem) in ENCRYPTED {
        let key = read(pem, Some(PASSPHRASE)).unwrap_or_else(|error| panic!("{file}: {error}"));
        assert_eq!(key.public_key().as_ref(), public.as_slice(), "{file}");
    }
}

#[test]
fn an_encrypted_key_without_or_with_a_wrong_passphrase_is_refused_by_kind() {
    for (file, pem) in ENCRYPTED {
        assert_eq!(read(pem, None).unwrap_err(), KeyError::NeedsPassphrase, "{file}");
        assert_eq!(
            read(pem, Some(b"pipeguard test passphrasE")).unwrap_err(),
            KeyError::Undecryptable,
            "{file}"
        );
    }
    let error = read(ENCRYPTED[0].1, Some(b"hunter2")).unwrap_err().to_string();
    assert!(!error.contains("hunter2") && !error.contains("MII"), "{error}");
}

#[test]
fn a_plain_key_reads_with_or_without_a_passphrase_and_anything_else_is_named() {
    let generated = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&generated).unwrap();
    let pem = plain_pkcs8_pem(der.as_ref());
    for passphrase in [None, Some(PASSPHRASE)] {
        let key = read(pem.as_bytes(), passphrase).unwrap();
        assert_eq!(key.public_key().as_ref(), generated.public_key().as_ref());
    }
    assert_eq!(read(b"not a key", None).unwrap_err(), KeyError::NotPem);
    assert_eq!(read(b"", Some(PASSPHRASE)).unwrap_err(), KeyError::NotPem);
    let public_only = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(public_key())
    );
    assert_eq!(read(public_only.as_bytes(), None).unwrap_err(), KeyError::NotPem);
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let elliptic = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &rng,
    )
    .unwrap();
    assert!(matches!(
        read(plain_pkcs8_pem(elliptic.as_ref()).as_bytes(), None),
        Err(KeyError::Rejected(_))
    ));
}

#[test]
fn a_passphrase_is_given_whole_up_to_the_longest_aws_lc_reads() {
    let pem = include_bytes!("../testdata/passphrase-1023-bytes.pem");
    let key = read(pem, Some(&[b'x'; 1023])).unwrap();
    assert_eq!(key.public_key().as_ref(), public_key().as_slice());
    // One byte short is wrong, not a prefix that happens to match.
    assert_eq!(
        read(pem, Some(&[b'x'; 1022])).unwrap_err(),
        KeyError::Undecryptable
    );
    assert_eq!(
        read(pem, Some(&[b'x'; PASSPHRASE_LIMIT + 1])).unwrap_err(),
        KeyError::PassphraseTooLong
    );
}

#[test]
fn an_encryption_aws_lc_does_not_read_is_named_not_taken_for_a_wrong_passphrase() {
    for (file, pem) in [
        (
            "traditional-camellia256.pem",
            &include_bytes!("../testdata/traditional-camellia256.pem")[..],
        ),
        (
            "pkcs8-scrypt.pem",
            &include_bytes!("../testdata/pkcs8-scrypt.pem")[..],
        ),
    ] {
        assert_eq!(
            read(pem, Some(PASSPHRASE)).unwrap_err(),
            KeyError::UnsupportedEncryption,
            "{file}"
        );
    }
    let huge = vec![b'A'; PEM_LIMIT + 1];
    assert_eq!(read(&huge, None).unwrap_err(), KeyError::NotPem);
}

#[test]
fn a_failed_read_leaves_no_error_behind_in_aws_lc() {
    let (file, pem) = ENCRYPTED[0];
    for failing in [read(pem, Some(b"wrong")), read(b"garbage", None), read(pem, None)] {
        assert!(failing.is_err(), "{file}");
        // SAFETY: peeks at this thread's error queue.
        assert_eq!(unsafe { ffi::ERR_peek_error() }, 0, "{file}");
    }
    assert!(read(pem, Some(PASSPHRASE)).is_ok(), "{file}");
}

#[test]
fn an_error_other_code_left_in_aws_lc_is_not_taken_for_the_keys() {
    let (file, pem) = ENCRYPTED[0];
    // SAFETY: adds one error to this thread's queue, as a failed call elsewhere would leave it;
    // the file name is a static C string.
    let leave_an_unsupported_encryption = || unsafe {
        ffi::ERR_put_error(
            ffi::ERR_LIB_PEM,
            0,
            ffi::PEM_R_UNSUPPORTED_ENCRYPTION,
            c"elsewhere.c".as_ptr(),
            1,
        );
    };
    leave_an_unsupported_encryption();
    assert_eq!(
        read(pem, Some(b"wrong")).unwrap_err(),
        KeyError::Undecryptable,
        "{file}"
    );
    leave_an_unsupported_encryption();
    assert_eq!(read(b"garbage", None).unwrap_err(), KeyError::NotPem);
}
