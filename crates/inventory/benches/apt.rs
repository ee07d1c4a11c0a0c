//! apt `Packages` indexes through the one deb822 reader: the recorded bookworm lists
//! (`../shared/data/debian/apt-lists`, xz) against the installed names of this host's dpkg
//! snapshot (`../shared/data/debian/bookworm-host/dpkg-status`).
//!
//! Run: `cargo bench -p caulk-inventory --bench apt`. Prints, median of 11 runs (wall clock):
//! the parse of the decompressed main index fed in 256 KiB pieces as the collector feeds it
//! (`PackagesFeed`), and the whole collector on the directory (`read_lists`: listing, xz
//! decompression, parsing of all three lists).

#![allow(clippy::unwrap_used)]

use caulk_inventory::FsHost;
use caulk_inventory::apt::{PackagesFeed, list_names, read_lists};
use caulk_model::apt::AptIndex;
use std::collections::HashSet;
use std::io::Read;
use std::time::{Duration, Instant};

const RUNS: usize = 11;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/debian");
    let lists = format!("{data}/apt-lists");
    let Ok(status) = std::fs::read_to_string(format!("{data}/bookworm-host/dpkg-status")) else {
        eprintln!("SKIP: {data} absent");
        return;
    };
    let names: HashSet<&str> = status
        .lines()
        .filter_map(|l| l.strip_prefix("Package: "))
        .map(str::trim)
        .collect();
    let wanted = |p: &str| names.contains(p);
    let main = format!("{lists}/debian_dists_bookworm_main_binary-amd64_Packages.xz");
    let mut text = Vec::new();
    liblzma::read::XzDecoder::new(std::fs::File::open(&main).unwrap())
        .read_to_end(&mut text)
        .unwrap();

    let parse = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let mut feed = PackagesFeed::new("bookworm/main");
                for piece in text.chunks(256 << 10) {
                    feed.push(piece, &wanted);
                }
                let mut index = AptIndex::new();
                std::hint::black_box(feed.finish(&mut index, &wanted));
                std::hint::black_box(&index);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "parse main index ({:.1} MB, {} installed names): {parse:.2?}",
        text.len() as f64 / 1e6,
        names.len()
    );

    let host = FsHost::new("/");
    let files = list_names(&host, &lists).unwrap().unwrap();
    let mut candidates = 0;
    let whole = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let got = read_lists(&host, &lists, &files, &wanted);
                candidates = got.index.len();
                std::hint::black_box(&got);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "read_lists ({} lists, xz, {candidates} candidates): {whole:.2?}",
        files.len()
    );
}
