//! `caulk version compare` as a user runs it.

use assert_cmd::Command;
use predicates::prelude::*;

fn caulk() -> Command {
    Command::cargo_bin("caulk").expect("binary built")
}

#[test]
fn compare_prints_the_order() {
    for (eco, a, b, want) in [
        ("Debian:12", "1.0", "1.0-1", "<\n"),
        ("Debian:12", "1:0.9", "2.0", ">\n"),
        ("dpkg", "1.0~rc1", "1.0", "<\n"),
        ("AlmaLinux:9", "1.0^git1", "1.0", ">\n"),
        ("PyPI", "1.0.0", "1.0", "=\n"),
        ("npm", "1.0.0-alpha", "1.0.0", "<\n"),
        ("Alpine:v3.19", "1.2.3_rc1-r0", "1.2.3-r0", "<\n"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "<\n"),
        ("Go", "v1.2.3", "v1.10.0", "<\n"),
    ] {
        caulk()
            .args(["version", "compare", eco, a, b])
            .assert()
            .success()
            .stdout(want);
    }
}

#[test]
fn invalid_version_is_exit_2_with_a_reason() {
    caulk()
        .args(["version", "compare", "Debian:12", "1.0", "a:1.0"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("invalid dpkg version \"a:1.0\""));
}

#[test]
fn unknown_ecosystem_is_exit_2() {
    caulk()
        .args(["version", "compare", "Plan9", "1", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Plan9"));
}

#[test]
fn missing_operand_is_a_usage_error() {
    caulk()
        .args(["version", "compare", "PyPI", "1.0"])
        .assert()
        .code(2);
}

#[test]
fn batch_answers_every_line_in_order() {
    let input = "1.0\t2.0\n2.0\t1.0\n1.0\t1.0.0\nbad line\n1.0\tnot!valid\n\n3.0\t3.0rc1\r\n";
    caulk()
        .args(["version", "compare", "PyPI", "--batch"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(predicate::function(|out: &str| {
            let lines: Vec<&str> = out.lines().collect();
            lines.len() == 7
                && lines[0] == "<"
                && lines[1] == ">"
                && lines[2] == "="
                && lines[3] == "error: line 4: expected A<TAB>B"
                && lines[4].starts_with("error: invalid pep440 version \"not!valid\"")
                && lines[5].starts_with("error: line 6")
                && lines[6] == ">"
        }));
}

#[test]
fn batch_survives_non_utf8() {
    let mut input = b"1\t2\n".to_vec();
    input.extend_from_slice(b"\xff\xfe\t1\n");
    input.extend_from_slice(b"2\t1\n");
    caulk()
        .args(["version", "compare", "semver", "--batch"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(predicate::function(|out: &str| {
            let lines: Vec<&str> = out.lines().collect();
            lines.len() == 3 && lines[1] == "error: line 2 is not UTF-8"
        }));
}

#[test]
fn batch_and_operands_conflict() {
    caulk()
        .args(["version", "compare", "npm", "1.0.0", "--batch"])
        .assert()
        .code(2);
}
