//! Fuzz the apt `Packages` index reader (the deb822 stream fed in pieces, as a decompressor
//! hands them over): no input may panic, and the pieces give what the whole does.
//! Run: `cargo fuzz run inventory_apt`.
#![no_main]
use caulk_inventory::apt::PackagesFeed;
use caulk_model::apt::AptIndex;
use libfuzzer_sys::fuzz_target;

fn read(pieces: &[&[u8]]) -> (AptIndex, Vec<(usize, String)>) {
    let wanted = |_: &str| true;
    let mut feed = PackagesFeed::new("fuzz");
    for p in pieces {
        feed.push(p, &wanted);
    }
    let mut index = AptIndex::new();
    let bad = feed.finish(&mut index, &wanted);
    (index, bad)
}

fuzz_target!(|data: &[u8]| {
    let whole = read(&[data]);
    // Cut where the first byte says: a paragraph split across pieces reads the same.
    let cut = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let split = read(&[&data[..cut], &data[cut..]]);
    assert_eq!(whole, split);
});
