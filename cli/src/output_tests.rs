use super::*;

#[test]
fn columns_line_up_whatever_the_colour() {
    let rows = vec![
        vec![
            ("web-app".to_owned(), Tone::Plain),
            ("Failed".to_owned(), Tone::Bad),
        ],
        vec![
            ("api".to_owned(), Tone::Plain),
            ("Succeeded".to_owned(), Tone::Good),
        ],
    ];
    let plain = table(&["PIPELINE", "STATUS"], &rows, false);
    assert_eq!(plain, "PIPELINE  STATUS\nweb-app   Failed\napi       Succeeded");
    let coloured = table(&["PIPELINE", "STATUS"], &rows, true);
    assert!(coloured.contains("\u{1b}[31mFailed\u{1b}[0m"), "{coloured}");
    assert_eq!(
        coloured
            .replace("\u{1b}[31m", "")
            .replace("\u{1b}[32m", "")
            .replace("\u{1b}[0m", ""),
        plain
    );
}

#[test]
fn plain_text_is_never_painted() {
    assert_eq!(paint("x", Tone::Plain, true), "x");
    assert_eq!(paint("x", Tone::Bad, false), "x");
}
