//! The binary collectors against real binaries: a Go program built here with the Go
//! toolchain (a dependency served by a `file://` module proxy made in the test, so no
//! network), every Go binary of this machine's usual places compared with `go version -m`,
//! and a cargo-auditable `.dep-v0` section added to a real ELF executable by binutils'
//! `objcopy`. A missing tool is a loud skip (a failure under `CAULK_REQUIRE_ORACLES=1`).

#![allow(clippy::unwrap_used)]

use caulk_inventory::lang::{binary_packages, golang};
use caulk_model::inventory::Collector;
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        || Command::new(tool)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
}

fn packages_of(file: &Path) -> Vec<String> {
    let f = std::fs::File::open(file).unwrap();
    let got = binary_packages(&f);
    assert!(got.problems.is_empty(), "{file:?}: {:?}", got.problems);
    let mut v: Vec<String> = got
        .packages
        .iter()
        .map(|(c, n, v)| format!("{c:?} {n} {v}"))
        .collect();
    v.sort();
    v
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A module `example.com/greet@v1.2.3` in the layout of a module proxy.
fn module_proxy(dir: &Path) {
    let src = dir.join("src/example.com/greet@v1.2.3");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module example.com/greet\n\ngo 1.18\n").unwrap();
    std::fs::write(
        src.join("greet.go"),
        "package greet\n\nfunc Hello() string { return \"hello\" }\n",
    )
    .unwrap();
    let at = dir.join("proxy/example.com/greet/@v");
    std::fs::create_dir_all(&at).unwrap();
    std::fs::write(at.join("list"), "v1.2.3\n").unwrap();
    std::fs::write(
        at.join("v1.2.3.info"),
        r#"{"Version":"v1.2.3","Time":"2024-01-02T03:04:05Z"}"#,
    )
    .unwrap();
    std::fs::write(
        at.join("v1.2.3.mod"),
        "module example.com/greet\n\ngo 1.18\n",
    )
    .unwrap();
    run(Command::new("zip")
        .args(["-q", "-r", "-X"])
        .arg(at.join("v1.2.3.zip"))
        .arg("example.com/greet@v1.2.3")
        .current_dir(dir.join("src")));
}

#[test]
fn a_go_binary_built_here() {
    if !have("go") || !have("zip") {
        caulk_testkit::missing("go (apt golang-go) and zip (apt zip) to build a Go binary");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    module_proxy(d);
    let app = d.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.18\n\nrequire example.com/greet v1.2.3\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    )
    .unwrap();
    let go = |args: &[&str]| {
        let mut c = Command::new("go");
        c.args(args)
            .current_dir(&app)
            .env("GOPROXY", format!("file://{}", d.join("proxy").display()))
            .env("GOFLAGS", "-mod=mod")
            .env("GONOSUMDB", "*")
            .env("GONOSUMCHECK", "1")
            .env("GOSUMDB", "off")
            .env("GOPATH", d.join("gopath"))
            .env("GOCACHE", d.join("gocache"))
            .env("CGO_ENABLED", "0");
        c
    };
    run(&mut go(&["build", "-o", "app", "."]));
    let bin = app.join("app");
    let version = String::from_utf8(go(&["env", "GOVERSION"]).output().unwrap().stdout).unwrap();
    let stdlib = golang::stdlib_version(version.trim()).unwrap();
    assert_eq!(
        packages_of(&bin),
        [
            "GoBinary example.com/greet v1.2.3".to_string(),
            format!("GoBinary stdlib {stdlib}"),
        ]
    );
    // Stripped of symbols and debug information, the build information is still there.
    run(&mut go(&[
        "build",
        "-ldflags=-s -w",
        "-o",
        "app-stripped",
        ".",
    ]));
    assert_eq!(packages_of(&app.join("app-stripped")), packages_of(&bin));
    // The module cache is read-only: let the temporary directory go.
    let _ = Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(d.join("gopath"))
        .status();
}

/// Every Go binary in the usual places of this machine reads as `go version -m` says.
#[test]
fn this_machines_go_binaries_agree_with_go_version_m() {
    if !have("go") {
        caulk_testkit::missing("go (apt golang-go) for `go version -m`");
        return;
    }
    let mut checked = 0;
    for dir in [
        "/usr/local/bin",
        "/usr/bin",
        "/usr/lib/go/pkg/tool/linux_amd64",
        "/root/go/bin",
    ] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if checked >= 8 || !f.is_file() {
                continue;
            }
            let out = Command::new("go")
                .arg("version")
                .arg("-m")
                .arg(&f)
                .output()
                .unwrap();
            if !out.status.success() {
                continue; // not a Go binary
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let mut want: Vec<String> = Vec::new();
            let mut lines = text.lines().peekable();
            // Not a Go binary: nothing on stdout (go 1.19 still exits 0).
            let Some((_, go)) = lines.next().and_then(|l| l.split_once(": ")) else {
                continue;
            };
            if let Some(v) = golang::stdlib_version(go) {
                want.push(format!("GoBinary stdlib {v}"));
            }
            let mut last: Option<(String, String)> = None;
            let flush = |want: &mut Vec<String>, last: &mut Option<(String, String)>| {
                if let Some((p, v)) = last.take()
                    && v.starts_with('v')
                {
                    want.push(format!("GoBinary {p} {v}"));
                }
            };
            for l in lines {
                let f: Vec<&str> = l.trim_start().split('\t').collect();
                match f.as_slice() {
                    ["mod" | "dep", p, v, ..] => {
                        flush(&mut want, &mut last);
                        last = Some((p.to_string(), v.to_string()));
                    }
                    ["=>", p, v, ..] => last = Some((p.to_string(), v.to_string())),
                    ["=>", p] => last = Some((p.to_string(), String::new())),
                    _ => {}
                }
            }
            flush(&mut want, &mut last);
            want.sort();
            assert_eq!(packages_of(&f), want, "{f:?}");
            checked += 1;
        }
    }
    if checked == 0 {
        caulk_testkit::missing("a Go binary in /usr/local/bin, /usr/bin or Go's tool directory");
    }
    eprintln!("{checked} Go binaries compared with `go version -m`");
}

#[test]
fn a_cargo_auditable_section_added_by_objcopy() {
    if !have("objcopy") {
        caulk_testkit::missing("objcopy (apt binutils)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let json = r#"{"packages":[{"name":"rg","version":"14.1.0","source":"crates.io","dependencies":[1,2],"root":true},{"name":"memchr","version":"2.7.1","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},{"name":"local-helper","version":"0.1.0","source":"local"}]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(json.as_bytes()).unwrap();
    let section = tmp.path().join("dep-v0");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let exe = tmp.path().join("true-auditable");
    run(Command::new("objcopy")
        .arg(format!("--add-section=.dep-v0={}", section.display()))
        .arg("/bin/true")
        .arg(&exe));
    assert_eq!(
        packages_of(&exe),
        ["RustBinary memchr 2.7.1", "RustBinary rg 14.1.0"]
    );
    assert!(packages_of(Path::new("/bin/true")).is_empty());
    let _ = Collector::RustBinary;
}
