//! Test-only helpers shared by the workspace's tests (used as a dev-dependency, never as a
//! dependency): where the shared real data is, and the one rule for anything a test needs but
//! cannot find — shared data, an oracle, a tool. On a developer machine it is a loud `SKIP:`
//! line on stderr and the test returns early; with `CAULK_REQUIRE_ORACLES=1` (set by `.ci/run`)
//! it is a failure.
//!
//! The trap: a skipped test passes. Without the switch, a CI machine that lost `../shared/data`
//! (or an oracle) would report green while running none of the tests that need it.
//!
//! The data root is `$CAULK_SHARED_DATA` when set (a relative path is taken from the workspace
//! root), else `../shared/data` beside the workspace. Point it at a directory that does not
//! exist to see what the tests do without the data.
//!
//! [`bench`] is the benchmarks' harness (timing, ratios, peak memory, instruction counts).

pub mod bench;

use std::fmt::Display;
use std::path::PathBuf;

/// The switch: `1` turns every missing prerequisite into a failure.
pub const REQUIRE_VAR: &str = "CAULK_REQUIRE_ORACLES";

/// Overrides where the shared data is.
pub const DATA_VAR: &str = "CAULK_SHARED_DATA";

/// True when a missing prerequisite must fail the test (`CAULK_REQUIRE_ORACLES=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// Report a missing prerequisite: panics when [`required`], else prints `SKIP: {what}` on
/// stderr. The caller returns (or carries on without the part that needed it).
#[track_caller]
pub fn missing(what: impl Display) {
    if required() {
        panic!("{REQUIRE_VAR}=1 but {what}");
    }
    eprintln!("SKIP: {what}");
    record_skip(&what.to_string());
}

/// Where `scripts/test` asks the skips of a run to be written (one file per test), so it
/// can count and name them after nextest's summary, which counts a test that returned
/// early as passed.
pub const SKIP_LEDGER_VAR: &str = "CAULK_SKIP_LEDGER";

/// Write `what` into the ledger (when one was asked for) under this test's name: nextest's
/// `NEXTEST_BINARY_ID` and `NEXTEST_TEST_NAME`, else the thread's name (libtest names it
/// after the test).
fn record_skip(what: &str) {
    if let Some(dir) = std::env::var_os(SKIP_LEDGER_VAR).filter(|d| !d.is_empty()) {
        record_skip_in(&PathBuf::from(dir), what);
    }
}

fn record_skip_in(dir: &std::path::Path, what: &str) {
    let binary = std::env::var("NEXTEST_BINARY_ID").unwrap_or_default();
    let test = std::env::var("NEXTEST_TEST_NAME")
        .ok()
        .or_else(|| std::thread::current().name().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    let name = if binary.is_empty() {
        test
    } else {
        format!("{binary} {test}")
    };
    let file: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let _ = std::fs::create_dir_all(dir);
    // One line per skip; a test that skips two parts says both.
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
    {
        let _ = writeln!(f, "{name}\t{what}");
    }
}

/// The workspace root (the directory of the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The shared data directory: `$CAULK_SHARED_DATA`, else `../shared/data` beside the
/// workspace. Whether it exists is not checked here; see [`data`].
pub fn data_root() -> PathBuf {
    match std::env::var_os(DATA_VAR) {
        Some(v) if !v.is_empty() => workspace_root().join(v),
        _ => workspace_root().join("../shared/data"),
    }
}

/// `rel` (a file or directory) under [`data_root`], or `None` after [`missing`] when it is
/// absent. `data("")` is the root itself.
#[track_caller]
pub fn data(rel: &str) -> Option<PathBuf> {
    let p = data_root().join(rel);
    if p.exists() {
        Some(p)
    } else {
        missing(format_args!(
            "shared data {} is absent (../shared/data beside the project, or ${DATA_VAR})",
            p.display()
        ));
        None
    }
}

/// The text of the file `rel` under [`data_root`], or `None` after [`missing`].
#[track_caller]
pub fn data_text(rel: &str) -> Option<String> {
    let p = data(rel)?;
    Some(
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("read shared data {}: {e}", p.display())),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_skip_is_written_to_the_ledger_when_one_is_asked_for() {
        let dir = std::env::temp_dir().join(format!("caulk-skip-ledger-{}", std::process::id()));
        super::record_skip_in(&dir, "the rpm CLI is absent");
        let text: String = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            text.contains(
                "a_skip_is_written_to_the_ledger_when_one_is_asked_for\tthe rpm CLI is absent"
            ),
            "{text}"
        );
    }
}
