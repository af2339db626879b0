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

#[test]
fn text_from_outside_reaches_the_terminal_with_its_control_characters_escaped() {
    let rows = vec![vec![
        ("web\u{1b}]0;pwned\u{7}".to_owned(), Tone::Plain),
        ("line\nbreak\u{9b}2J".to_owned(), Tone::Bad),
    ]];
    let plain = table(&["PIPELINE", "STATUS"], &rows, false);
    assert!(
        !plain.replace('\n', "").chars().any(char::is_control),
        "{plain:?}"
    );
    assert_eq!(plain.lines().count(), 2, "no line of its own: {plain:?}");
    assert!(plain.contains("web\\u{1b}]0;pwned\\u{7}"), "{plain}");
    let json = json_line(&serde_json::json!({"reason": "a\u{1b}[2J\u{9b}31m\u{7f}"}));
    assert!(!json.chars().any(char::is_control), "{json:?}");
}

#[test]
fn every_answers_keys_come_in_alphabetical_order_at_every_depth() {
    #[derive(serde::Serialize)]
    struct Inner {
        zone: u8,
        area: u8,
    }
    #[derive(serde::Serialize)]
    struct Answer {
        verdict: &'static str,
        blockers: Vec<Inner>,
        at: Inner,
    }
    let answer = Answer {
        verdict: "hold",
        blockers: vec![Inner { zone: 1, area: 2 }],
        at: Inner { zone: 3, area: 4 },
    };
    let value = serde_json::to_value(&answer).unwrap();
    assert_eq!(
        json_line(&sorted(value)),
        r#"{"at":{"area":4,"zone":3},"blockers":[{"area":2,"zone":1}],"verdict":"hold"}"#
    );
}
