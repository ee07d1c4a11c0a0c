//! The systemd units in `dist/` are valid for systemd (`systemd-analyze verify`) and start the
//! commands this caulk has, with options it accepts.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

#[test]
fn dist_units_verify_and_name_real_options() {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    let Ok(analyze) = which("systemd-analyze") else {
        caulk_testkit::missing("systemd-analyze is absent (apt package systemd)");
        return;
    };
    let bin = assert_cmd::cargo::cargo_bin("caulk");
    let tmp = tempfile::tempdir().unwrap();
    let mut units = Vec::new();
    for name in [
        "caulk-agent.service",
        "caulk-agent.timer",
        "caulk-server.service",
    ] {
        let text = std::fs::read_to_string(dist.join(name)).unwrap();
        // The units name the installed binary; verify them against this build.
        let text = text.replace("/usr/local/bin/caulk", bin.to_str().unwrap());
        let to = tmp.path().join(name);
        std::fs::write(&to, &text).unwrap();
        units.push(to);
        // Every `--option` an ExecStart line passes is one `caulk … --help` lists.
        for line in text.lines().filter(|l| l.starts_with("ExecStart=")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let sub = words[1];
            let help = std::process::Command::new(&bin)
                .args([sub, "--help"])
                .output()
                .unwrap();
            let help = String::from_utf8(help.stdout).unwrap();
            for opt in words.iter().filter(|w| w.starts_with("--")) {
                assert!(help.contains(opt), "{name}: `caulk {sub}` has no {opt}");
            }
        }
    }
    let out = std::process::Command::new(analyze)
        .args(["verify", "--man=no"])
        .args(&units)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
