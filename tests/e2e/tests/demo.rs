//! `make demo` is the project's main job on a fresh machine: it must keep working.

use std::process::Command;

#[test]
fn the_demo_story_plays_to_the_end_and_exits_zero() {
    let demo = e2e::bin_dir().join("demo");
    assert!(
        demo.is_file(),
        "{} is missing: build the binaries first (make test does)",
        demo.display()
    );
    let output = Command::new(&demo).output().expect("the demo binary starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    assert!(
        !stdout.lines().any(|line| line.starts_with("  FAIL ")),
        "a check failed:\n{stdout}"
    );
}
