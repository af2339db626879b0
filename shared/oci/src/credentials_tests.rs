use super::*;

#[test]
fn a_credentials_file_is_read_up_to_its_limit_never_whole() {
    let zero = read_file(std::path::Path::new("/dev/zero"), "API signing key").unwrap_err();
    assert!(zero.to_string().contains("at /dev/zero is over 64 KiB"), "{zero}");
    let directory = std::env::temp_dir().join(format!("pipeguard-limit-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("key.pem");
    std::fs::write(&file, vec![b'k'; FILE_LIMIT]).unwrap();
    assert_eq!(
        read_file(&file, "API signing key").map(|bytes| bytes.len()).ok(),
        Some(FILE_LIMIT)
    );
    std::fs::write(&file, vec![b'k'; FILE_LIMIT + 1]).unwrap();
    assert!(read_file(&file, "API signing key").is_err());
    let _ = std::fs::remove_dir_all(directory);
}

#[test]
fn a_passphrase_is_taken_as_given_inline_and_without_its_line_ending_from_a_file() {
    let inline = Source::Inline(" spaced passphrase \n".into());
    assert_eq!(
        read_passphrase(&inline, "key passphrase")
            .ok()
            .as_deref()
            .map(Vec::as_slice),
        Some(b" spaced passphrase \n".as_slice())
    );
    let directory = std::env::temp_dir().join(format!("pipeguard-passphrase-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for (written, read) in [("p\r\n", "p"), ("p\n", "p"), ("p\n\n", "p\n"), (" p ", " p ")] {
        let file = directory.join("passphrase");
        std::fs::write(&file, written).unwrap();
        assert_eq!(
            read_passphrase(&Source::File(file), "key passphrase")
                .ok()
                .as_deref()
                .map(Vec::as_slice),
            Some(read.as_bytes()),
            "{written:?}"
        );
    }
    let missing = read_passphrase(&Source::File(directory.join("absent")), "key passphrase").unwrap_err();
    assert!(
        missing.to_string().contains("cannot read the key passphrase at"),
        "{missing}"
    );
    let _ = std::fs::remove_dir_all(directory);
}
