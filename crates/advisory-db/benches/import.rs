//! Full-mirror import time as a ratio to decompress-only time of the same zips, and the
//! database size. Data: `shared/data/feeds/` (skipped when absent).
//!
//! `cargo bench -p caulk-advisory-db --bench import` (interleaves 5 rounds of each, reports the
//! best and the median; `CAULK_BENCH_ROUNDS=N` for another count). The best is the figure
//! least disturbed by other load on the machine.

use caulk_advisory_db::import::{Options, import_dir};
use caulk_testkit::bench::{Samples, ratio};
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn decompress_only(dir: &std::path::Path) -> (Duration, u64, u64) {
    let start = Instant::now();
    let (mut members, mut bytes) = (0u64, 0u64);
    let mut zips: Vec<PathBuf> = std::fs::read_dir(dir.join("osv"))
        .expect("osv dir")
        .map(|e| e.expect("entry").path().join("all.zip"))
        .filter(|p| p.is_file())
        .collect();
    zips.sort();
    let mut buf = Vec::new();
    for z in zips {
        let data = std::fs::read(&z).expect("read");
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(data)).expect("zip");
        for i in 0..a.len() {
            let mut e = a.by_index(i).expect("entry");
            buf.clear();
            e.read_to_end(&mut buf).expect("inflate");
            members += 1;
            bytes += buf.len() as u64;
        }
    }
    (start.elapsed(), members, bytes)
}

fn main() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/feeds"
    ));
    if !dir.is_dir() {
        eprintln!("SKIP: {} is absent", dir.display());
        return;
    }
    let rounds: usize = std::env::var("CAULK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut decs = Vec::new();
    let mut imps = Vec::new();
    let (mut members, mut bytes, mut db_size) = (0, 0, 0);
    let tmp = std::env::temp_dir().join(format!("caulk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let db = tmp.join("advisories.db");
    for _ in 0..rounds {
        let (d, m, b) = decompress_only(&dir);
        decs.push(d);
        (members, bytes) = (m, b);
        let start = Instant::now();
        let report = import_dir(&dir, &db, &Options::default()).expect("import");
        imps.push(start.elapsed());
        assert!(report.failed.is_empty());
        db_size = std::fs::metadata(&db).expect("db").len();
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let (decs, imps) = (Samples::new(decs), Samples::new(imps));
    let (best_dec, best_imp) = (decs.best(), imps.best());
    let (med_dec, med_imp) = (decs.median(), imps.median());
    println!(
        "osv members:           {members} ({:.1} MB uncompressed)",
        bytes as f64 / 1e6
    );
    println!(
        "decompress only:       {:.3} s (best of {rounds})",
        best_dec.as_secs_f64()
    );
    println!(
        "full import:           {:.3} s (best of {rounds}; OSV + KEV + EPSS, merge, indexes, fsync)",
        best_imp.as_secs_f64()
    );
    println!(
        "ratio:                 {:.2}x best/best (target <= 4x); {:.2}x median/median ({:.3} s / {:.3} s)",
        ratio(best_imp, best_dec),
        ratio(med_imp, med_dec),
        med_imp.as_secs_f64(),
        med_dec.as_secs_f64()
    );
    println!("database size:         {:.1} MB", db_size as f64 / 1e6);
}
