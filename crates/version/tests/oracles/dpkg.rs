//! Differential test: caulk's dpkg order against the C `dpkg` (`dpkg --compare-versions`).
//!
//! One `dpkg` process per comparison costs ~1.6 ms, too slow for ~30,000 pairs, so one Perl
//! process judges the bulk with `Dpkg::Version` (libdpkg-perl, the dpkg project's module) only
//! where Perl is known to agree with the C dpkg: both operands pass Perl's strict
//! `version_check`, are plain ASCII, have no digit run longer than 15 (Perl compares numbers as
//! doubles) and an epoch the C parser accepts. Everything else (the warned-about and rejected
//! shapes, where Perl is stricter than C) goes to the real `dpkg` binary from the same Perl
//! loop. A second run sends a random sample of ≥ 2,000 pairs to the binary alone, so the
//! Perl proxy itself is checked. Without libdpkg-perl every pair goes to the binary (~40 s).
//!
//! `dpkg --compare-versions` reads an empty argument as "no version" (it sorts first); dpkg's
//! version parser rejects the empty string, and so do we, so the oracle answers `E` for it.

use super::common::*;
use caulk_version::Scheme;
use std::path::PathBuf;
use std::process::Command;

/// Reads `A<TAB>B` lines; answers `<`, `=`, `>` or `E` (dpkg exit 2: bad syntax).
const ORACLE: &str = r#"
use strict;
use warnings;
use POSIX ();
no warnings;
$| = 1;
my $binary_only = ($ENV{CAULK_DPKG_BINARY_ONLY} // '') eq '1';
require Dpkg::Version unless $binary_only;
my ($bulk, $binary) = (0, 0);

sub perl_is_authoritative {
    my ($s) = @_;
    return 0 unless $s =~ /\A[0-9A-Za-z.+~:-]+\z/;
    return 0 if $s =~ /[0-9]{16}/;
    return 0 if $s =~ /:\z/;
    if ($s =~ /\A([^:]*):/) { return 0 unless $1 =~ /\A[0-9]{1,9}\z/; }
    my ($ok) = Dpkg::Version::version_check($s);
    return $ok ? 1 : 0;
}

sub dpkg_exit {
    my ($a, $op, $b) = @_;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDERR, '>', '/dev/null');
        exec('dpkg', '--compare-versions', '--', $a, $op, $b) or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    die "dpkg --compare-versions exited $rc for '$a' $op '$b'" if $rc > 2;
    return $rc;
}

while (my $line = <STDIN>) {
    chomp $line;
    my ($a, $b) = split /\t/, $line, 2;
    if ($a eq '' || $b eq '') { print "E\n"; next; }
    if (!$binary_only && perl_is_authoritative($a) && perl_is_authoritative($b)) {
        my $c = Dpkg::Version::version_compare($a, $b);
        print $c < 0 ? "<\n" : $c > 0 ? ">\n" : "=\n";
        $bulk++;
        next;
    }
    $binary++;
    my $lt = dpkg_exit($a, 'lt', $b);
    if ($lt == 2) { print "E\n"; next; }
    if ($lt == 0) { print "<\n"; next; }
    my $eq = dpkg_exit($a, 'eq', $b);
    print $eq == 0 ? "=\n" : $eq == 1 ? ">\n" : "E\n";
}
if (my $f = $ENV{CAULK_DPKG_STATS}) {
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh "$bulk $binary\n";
}
"#;

/// Tokens a mutation inserts or substitutes: dpkg's separators and letters, digits, `~`
/// runs, Debian-looking fragments, and characters dpkg only warns about or rejects
/// (`^ _ ! #`, a blank, a non-ASCII letter, a vertical tab that C `strtol` skips in epochs).
const ALPHABET: &[&str] = &[
    "~", "~~", "^", ":", "-", "+", "_", ".", "0", "1", "9", "a", "b", "z", "A", "Z", "~rc1",
    "+dfsg", "-1", "1:", "0:", "deb12u1", "+b1", " ", "é", "!", "#", "\u{b}",
];

/// Hand-written corners: every rejection reason and warning of dpkg's parser, the epoch's
/// `strtol` quirks, signed-char ordering of non-ASCII bytes, `~`, huge digit runs.
fn edges() -> Vec<(String, String)> {
    let huge = "9".repeat(40);
    let huger = format!("1{}", "0".repeat(40));
    [
        ("", "1"),
        ("1:", "1"),
        (":1", "1"),
        ("a:1", "1"),
        ("1a:1", "1"),
        ("-1:1", "1"),
        ("+1:2", "1:2"),
        ("-0:2", "2"),
        ("\u{b}1:2", "1:2"),
        ("2147483647:1", "2147483648:1"),
        ("99999999999999999999:1", "1"),
        ("1.0-", "1.0"),
        ("-1", "1"),
        ("1:-1", "1"),
        ("1.0 x", "1.0"),
        (" 1.0  ", "1.0"),
        ("a1", "1"),
        ("1_0", "1.0"),
        ("1.0-a_b", "1.0-a"),
        ("1é", "1."),
        ("1a", "1é"),
        ("1.0~", "1.0"),
        ("1.0~~", "1.0~~a"),
        ("1:2:3", "1:2:3-0"),
        ("1.0", "0:1.0-0"),
        (huge.as_str(), huger.as_str()),
        (&format!("000{huge}"), huge.as_str()),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Real installed versions: `Version:` fields and `Source: name (version)` of the dpkg
/// status files in the shared data (this host's, and the inventories').
fn status_versions() -> Vec<String> {
    let Some(data) = shared_data() else {
        return Vec::new();
    };
    let mut files = vec![data.join("debian/bookworm-host/dpkg-status")];
    for dir in ["inventories/debian-10", "inventories/ubuntu-18.04"] {
        if let Ok(entries) = std::fs::read_dir(data.join(dir)) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with("dpkg-status")),
            );
        }
    }
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Version: ") {
                out.push(v.trim().to_string());
            } else if let Some(src) = line.strip_prefix("Source: ")
                && let Some((_, v)) = src.split_once(" (")
            {
                out.push(v.trim_end_matches(')').to_string());
            }
        }
    }
    out
}

fn oracle_command(binary_only: bool, stats: &PathBuf) -> Command {
    let mut cmd = Command::new("perl");
    cmd.args(["-e", ORACLE]).env("CAULK_DPKG_STATS", stats).env(
        "CAULK_DPKG_BINARY_ONLY",
        if binary_only { "1" } else { "0" },
    );
    cmd
}

/// Two oracle processes, one per core; returns the answers and how many pairs each side
/// (Perl, dpkg binary) judged.
fn run_split(pairs: &[(String, String)], binary_only: bool) -> (Vec<Answer>, usize, usize) {
    let mid = pairs.len() / 2;
    let dir = std::env::temp_dir();
    let tag = format!("caulk-dpkg-oracle-{}-{binary_only}", std::process::id());
    let stats = [dir.join(format!("{tag}-0")), dir.join(format!("{tag}-1"))];
    let (left, right) = std::thread::scope(|s| {
        let l = s.spawn(|| run_oracle(oracle_command(binary_only, &stats[0]), &pairs[..mid]));
        let r = s.spawn(|| run_oracle(oracle_command(binary_only, &stats[1]), &pairs[mid..]));
        (
            l.join().expect("oracle thread"),
            r.join().expect("oracle thread"),
        )
    });
    let (mut by_perl, mut by_binary) = (0, 0);
    for f in &stats {
        let text = std::fs::read_to_string(f).expect("oracle stats");
        let _ = std::fs::remove_file(f);
        let n: Vec<usize> = text
            .split_whitespace()
            .map(|x| x.parse().expect("count"))
            .collect();
        by_perl += n[0];
        by_binary += n[1];
    }
    let mut answers = left;
    answers.extend(right);
    (answers, by_perl, by_binary)
}

#[test]
fn dpkg_agrees_with_dpkg() {
    if require_program("dpkg").is_none() || require_program("perl").is_none() {
        return;
    }
    let perl_module = Command::new("perl")
        .args(["-MDpkg::Version", "-e", "1"])
        .status()
        .is_ok_and(|s| s.success());
    if !perl_module {
        // Still exact, only slower (~1.6 ms a comparison instead of ~20 µs).
        eprintln!(
            "NOTE: perl module Dpkg::Version missing (apt package libdpkg-perl): \
             every pair goes to the dpkg binary"
        );
    }
    let mut seeds = vector_operands(&["debian-"]);
    if seeds.is_empty() {
        return;
    }
    seeds.extend(status_versions());
    seeds.sort();
    seeds.dedup();

    let mut rng = Rng::from_env(0x00d9_c0de);
    let near_miss = near_miss_pairs(&seeds, ALPHABET, 12_000, &mut rng);
    let mut pairs = near_miss.clone();
    pairs.extend(vector_pairs(&["debian-"]));
    pairs.extend(edges());

    let (answers, by_perl, by_binary) = run_split(&pairs, !perl_module);
    eprintln!(
        "dpkg oracle: {by_perl} pairs judged by Dpkg::Version, {by_binary} by the dpkg binary"
    );
    judge(
        if perl_module {
            "dpkg (Dpkg::Version where authoritative, else dpkg binary)"
        } else {
            "dpkg (dpkg binary only)"
        },
        Scheme::Dpkg,
        &pairs,
        &answers,
        &[],
    );
    if !perl_module {
        return;
    }

    // The binary alone on a sample, mostly near misses (where the shapes are odd), some real.
    let mut sample: Vec<(String, String)> =
        (0..2_000).map(|_| rng.pick(&near_miss).clone()).collect();
    sample.extend((0..400).map(|_| rng.pick(&pairs).clone()));
    sample.extend(edges());
    let (answers, _, by_binary) = run_split(&sample, true);
    let non_empty = sample
        .iter()
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .count();
    assert_eq!(
        by_binary, non_empty,
        "every non-empty pair goes to the binary"
    );
    judge(
        "dpkg (dpkg binary only, random sample)",
        Scheme::Dpkg,
        &sample,
        &answers,
        &[],
    );
}
