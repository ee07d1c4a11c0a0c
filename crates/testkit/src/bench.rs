//! The one harness of the workspace's benchmarks (`cargo bench`, `harness = false`): timing
//! a closure or a command a fixed number of times and reading the distribution (best and
//! median), wall-clock formatting, ratios against a baseline measured in the same run, peak
//! memory of a command, and — where valgrind is installed — a command's instruction count
//! (deterministic where wall clock on a shared 2-core VM moves ±30 %).
//!
//! Figures are reported as ratios to a baseline measured in the same run (ENGINEERING.md): a
//! ratio survives a change of machine, an absolute time does not.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The times of repeated runs of one thing.
#[derive(Debug, Clone)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(mut v: Vec<Duration>) -> Samples {
        assert!(!v.is_empty(), "no sample");
        v.sort();
        Samples(v)
    }
    /// The least disturbed run.
    pub fn best(&self) -> Duration {
        self.0[0]
    }
    pub fn median(&self) -> Duration {
        self.0[self.0.len() / 2]
    }
    pub fn runs(&self) -> usize {
        self.0.len()
    }
}

/// Run `f` once to warm up, then `runs` times, timing each.
pub fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Samples {
    std::hint::black_box(f());
    Samples::new(
        (0..runs.max(1))
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

/// Run the command `make` builds once to warm up, then `runs` times, stdout and stderr
/// discarded; each run must exit with one of `ok`.
pub fn time_command(runs: usize, ok: &[i32], mut make: impl FnMut() -> Command) -> Samples {
    let mut one = || {
        let mut c = make();
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let t = Instant::now();
        let st = c.status().unwrap_or_else(|e| panic!("{:?}: {e}", make()));
        let e = t.elapsed();
        assert!(
            st.code().is_some_and(|c| ok.contains(&c)),
            "{:?}: {st}",
            make()
        );
        e
    };
    one();
    Samples::new((0..runs.max(1)).map(|_| one()).collect())
}

/// `12.3 ms`
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// How many times `a` is `b` (`a / b`).
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Copy `cmd`'s environment changes onto `to`.
fn copy_env(cmd: &Command, to: &mut Command) {
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => to.env(k, v),
            None => to.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        to.current_dir(d);
    }
}

/// Peak resident memory of `cmd` in KiB, by `/usr/bin/time -f %M`; `None` without it.
pub fn peak_kib(cmd: &Command) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        return None;
    }
    let mut t = Command::new(time);
    copy_env(cmd, &mut t);
    let out = t
        .arg("-f")
        .arg("%M")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// The instructions `cmd` executes, whole process, by `valgrind --tool=callgrind`; `None`
/// when valgrind is not installed (`apt-get install valgrind`).
pub fn instructions(cmd: &Command) -> Option<u64> {
    let out_file = std::env::temp_dir().join(format!("caulk-callgrind-{}.out", std::process::id()));
    let mut v = Command::new("valgrind");
    copy_env(cmd, &mut v);
    let out = v
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(Stdio::null())
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&out_file);
    // `==PID== Collected : N`
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.split("Collected :").nth(1)?.trim().parse().ok())
}

/// `1.23 G`, `415.2 M` instructions.
pub fn count(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{:.2} G", n as f64 / 1e9)
    } else {
        format!("{:.1} M", n as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_order_and_pick() {
        let s = Samples::new([5, 1, 3, 2, 4].map(Duration::from_millis).to_vec());
        assert_eq!(
            (s.best(), s.median(), s.runs()),
            (Duration::from_millis(1), Duration::from_millis(3), 5)
        );
        assert_eq!(
            ratio(Duration::from_millis(30), Duration::from_millis(10)),
            3.0
        );
        assert_eq!(ms(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(count(415_153_849), "415.2 M");
    }

    #[test]
    fn commands_are_timed_and_counted() {
        let s = time_command(2, &[0], || Command::new("true"));
        assert_eq!(s.runs(), 2);
        if Path::new("/usr/bin/valgrind").is_file() {
            let n = instructions(&Command::new("true")).expect("callgrind ran");
            assert!(n > 1000, "{n}");
        }
    }
}
