//! Fuzz every lockfile parser; the first byte picks the kind: no input may panic. Run: `cargo fuzz run inventory_lockfile`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use caulk_inventory::lockfile::{Kind, parse};
    const KINDS: [Kind; 13] = [
        Kind::CargoLock,
        Kind::NpmLock,
        Kind::YarnLock,
        Kind::PnpmLock,
        Kind::Requirements,
        Kind::PoetryLock,
        Kind::PipfileLock,
        Kind::UvLock,
        Kind::GoMod,
        Kind::GemfileLock,
        Kind::ComposerLock,
        Kind::GradleLockfile,
        Kind::NugetLock,
    ];
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let _ = parse(
        KINDS[*first as usize % KINDS.len()],
        rest,
        "lock",
        &caulk_fuzz::inventory_limits(),
    );
});
