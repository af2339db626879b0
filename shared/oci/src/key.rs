//! The private key requests are signed with, read from PEM as the OCI SDKs read it: PKCS#1
//! (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), plain or encrypted with a passphrase, either as
//! `oci setup keys --passphrase` and OpenSSL 3 write it (`ENCRYPTED PRIVATE KEY`, PKCS#8 PBES2) or
//! as OpenSSL 1.1 does (`Proc-Type: 4,ENCRYPTED`). The reading is AWS-LC's own PEM reader:
//! aws-lc-rs, which signs, has no way to decrypt a PEM key, so this is the one place that calls
//! the C library it wraps. The decrypted key goes from AWS-LC to aws-lc-rs with no copy between
//! them, and AWS-LC wipes what it frees.

use aws_lc_rs::signature::RsaKeyPair;
use aws_lc_sys as ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::mem::MaybeUninit;
use std::ptr;

/// Why a key cannot sign. Never says anything of the key or the passphrase but their kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No PEM private key in the text.
    #[error(
        "not a PEM private key (PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`)"
    )]
    NotPem,
    /// Encrypted, and no passphrase was given.
    #[error("encrypted, and no passphrase is given")]
    NeedsPassphrase,
    /// Encrypted, and the passphrase given does not decrypt it.
    #[error("encrypted, and the passphrase given does not decrypt it")]
    Undecryptable,
    /// Encrypted with a passphrase longer than AWS-LC reads.
    #[error("encrypted, and its passphrase is longer than the {PASSPHRASE_LIMIT} bytes AWS-LC reads")]
    PassphraseTooLong,
    /// Encrypted in a way AWS-LC does not read.
    #[error(
        "encrypted in a way AWS-LC does not read (it reads PKCS#8 PBES2 with PBKDF2 and AES or 3DES, \
         and OpenSSL's `Proc-Type: 4,ENCRYPTED` with AES or 3DES); re-encrypt it, e.g. \
         `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
    )]
    UnsupportedEncryption,
    /// A key aws-lc-rs does not sign with (not RSA, or under 2048 bits).
    #[error("not an RSA key of 2048 to 8192 bits ({0})")]
    Rejected(String),
}

/// The longest passphrase AWS-LC takes (its `PEM_BUFSIZE`).
const PASSPHRASE_LIMIT: usize = 1024;

/// The longest PEM text read: an 8192-bit key is under 7 KiB, and AWS-LC counts in `int`.
pub(crate) const PEM_LIMIT: usize = 64 * 1024;

/// The passphrase AWS-LC asks `give_passphrase` for, whether it asked (the key is encrypted),
/// and whether the passphrase was too long to give.
struct Passphrase<'a> {
    value: Option<&'a [u8]>,
    asked: Cell<bool>,
    too_long: Cell<bool>,
}

/// AWS-LC's `pem_password_cb`: copies the passphrase into `buffer`, or refuses (-1) when there is
/// none, as AWS-LC's default callback would instead prompt on the terminal.
unsafe extern "C" fn give_passphrase(
    buffer: *mut c_char,
    size: c_int,
    _encrypting: c_int,
    passphrase: *mut c_void,
) -> c_int {
    // SAFETY: `passphrase` is the `&Passphrase` that `read` hands to PEM_read_bio_PrivateKey,
    // which calls this before it returns, while that borrow lives.
    let passphrase = unsafe { &*passphrase.cast::<Passphrase>() };
    passphrase.asked.set(true);
    let Some(value) = passphrase.value else {
        return -1;
    };
    match c_int::try_from(value.len()) {
        Ok(length) if !buffer.is_null() && length <= size => {
            // SAFETY: AWS-LC's buffer holds `size` bytes, and `value` is no longer.
            unsafe { ptr::copy_nonoverlapping(value.as_ptr(), buffer.cast::<u8>(), value.len()) };
            length
        }
        _ => {
            passphrase.too_long.set(true);
            -1
        }
    }
}

/// The RSA key of the first PEM private key in `pem`, decrypted with `passphrase` when it is
/// encrypted (a passphrase given for a plain key is not needed, and not used).
pub(crate) fn read(pem: &[u8], passphrase: Option<&[u8]>) -> Result<RsaKeyPair, KeyError> {
    if pem.len() > PEM_LIMIT {
        return Err(KeyError::NotPem);
    }
    let length = ffi::ossl_ssize_t::try_from(pem.len()).map_err(|_| KeyError::NotPem)?;
    let passphrase = Passphrase {
        value: passphrase,
        asked: Cell::new(false),
        too_long: Cell::new(false),
    };
    // SAFETY: the memory BIO reads `pem` in place and is freed below, while `pem` lives; the
    // callback and its argument are as `give_passphrase` says; the key, when one is returned, is
    // freed below; AWS-LC's error queue of this thread is cleared before the reading (so that
    // what other code left there is not taken for this key's errors) and of what it left.
    unsafe {
        ffi::ERR_clear_error();
        let bio = ffi::BIO_new_mem_buf(pem.as_ptr().cast::<c_void>(), length);
        let key = if bio.is_null() {
            ptr::null_mut()
        } else {
            let key = ffi::PEM_read_bio_PrivateKey(
                bio,
                ptr::null_mut(),
                Some(give_passphrase),
                ptr::from_ref(&passphrase).cast_mut().cast::<c_void>(),
            );
            ffi::BIO_free(bio);
            key
        };
        let result = if key.is_null() {
            Err(if unsupported_encryption() {
                KeyError::UnsupportedEncryption
            } else if passphrase.too_long.get() {
                KeyError::PassphraseTooLong
            } else {
                match (passphrase.asked.get(), passphrase.value) {
                    (false, _) => KeyError::NotPem,
                    (true, None) => KeyError::NeedsPassphrase,
                    (true, Some(_)) => KeyError::Undecryptable,
                }
            })
        } else {
            let pair = key_pair(key);
            ffi::EVP_PKEY_free(key);
            pair
        };
        ffi::ERR_clear_error();
        result
    }
}

/// Whether AWS-LC's errors of this thread say the key's encryption is one it does not read
/// (a `Proc-Type` cipher such as Camellia, a PKCS#8 scheme such as scrypt). Takes the errors.
fn unsupported_encryption() -> bool {
    const PKCS8_UNSUPPORTED: [i32; 9] = [
        ffi::PKCS8_R_UNKNOWN_ALGORITHM,
        ffi::PKCS8_R_UNKNOWN_CIPHER,
        ffi::PKCS8_R_UNKNOWN_CIPHER_ALGORITHM,
        ffi::PKCS8_R_UNKNOWN_HASH,
        ffi::PKCS8_R_UNSUPPORTED_KEYLENGTH,
        ffi::PKCS8_R_UNSUPPORTED_CIPHER,
        ffi::PKCS8_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION,
        ffi::PKCS8_R_UNSUPPORTED_PRF,
        ffi::PKCS8_R_UNSUPPORTED_OPTIONS,
    ];
    let mut unsupported = false;
    loop {
        // SAFETY: reads and removes the oldest error of this thread's queue; 0 when it is empty.
        let error = unsafe { ffi::ERR_get_error() };
        if error == 0 {
            return unsupported;
        }
        let (library, reason) = (ffi::ERR_GET_LIB(error), ffi::ERR_GET_REASON(error));
        unsupported |= (library == ffi::ERR_LIB_PEM
            && [ffi::PEM_R_UNSUPPORTED_CIPHER, ffi::PEM_R_UNSUPPORTED_ENCRYPTION].contains(&reason))
            || (library == ffi::ERR_LIB_PKCS8 && PKCS8_UNSUPPORTED.contains(&reason));
    }
}

/// aws-lc-rs's key of AWS-LC's `key`, handed over as PKCS#8 in memory AWS-LC wipes when it frees.
///
/// # Safety
/// `key` is a valid EVP_PKEY.
unsafe fn key_pair(key: *const ffi::EVP_PKEY) -> Result<RsaKeyPair, KeyError> {
    let unencodable = || KeyError::Rejected("AWS-LC could not encode it as PKCS#8".into());
    let mut cbb = MaybeUninit::<ffi::CBB>::uninit();
    let (mut der, mut der_length) = (ptr::null_mut::<u8>(), 0_usize);
    // SAFETY: the CBB is zeroed, then initialised, before use and cleaned up or finished; what
    // CBB_finish hands over is `der_length` bytes at `der`, read while alive and then freed.
    unsafe {
        ffi::CBB_zero(cbb.as_mut_ptr());
        let encoded = ffi::CBB_init(cbb.as_mut_ptr(), 0) == 1
            && ffi::EVP_marshal_private_key(cbb.as_mut_ptr(), key) == 1
            && ffi::CBB_finish(cbb.as_mut_ptr(), &mut der, &mut der_length) == 1;
        if !encoded {
            ffi::CBB_cleanup(cbb.as_mut_ptr());
            return Err(unencodable());
        }
        let pair = RsaKeyPair::from_pkcs8(std::slice::from_raw_parts(der, der_length))
            .map_err(|rejected| KeyError::Rejected(rejected.to_string()));
        ffi::OPENSSL_free(der.cast::<c_void>());
        pair
    }
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
