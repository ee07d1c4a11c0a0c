//! The fleet's assessment by package digests (`caulk_app::digests`) equals a whole scan,
//! host by host: simulated hosts of every template (variations of the real inventories in
//! `../shared/data`), two asset profiles, some hosts with a running kernel, Ubuntu Pro on
//! others. Each host is scanned whole (`assess_digested`, the code path of `caulk scan`) and
//! assessed as the server does — only its packages without a digest in its context scanned,
//! then tallied from its packages' digests, most of them remembered from the hosts before
//! it — and the two must give the same counts and remediations, exactly.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use caulk_app::digests::{Digests, FleetPackage, HostContext, assessment_of_tally, sort_packages};
use caulk_app::scan::{Advisories, Assess, assess_digested};
use caulk_model::finding::{Criticality, Exposure, TargetKind};

#[test]
fn tallies_from_digests_equal_whole_scans() {
    let (Some(feeds), Some(_)) = (
        caulk_testkit::data("feeds"),
        caulk_testkit::data("debian/bookworm-host"),
    ) else {
        return;
    };
    let fleet = caulk_simulate::fleet::Fleet::load(&caulk_testkit::data_root()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("advisories.db");
    caulk_app::feeds::import_unless_current(&feeds, &db, &mut Vec::new(), &|_| {}, None).unwrap();
    let adv = Advisories::open(&db, None).unwrap();
    let loaded = caulk_app::config::Loaded::builtin().unwrap();
    let today = jiff::civil::date(2026, 12, 6);
    let generation = adv.facts.generation.clone();
    let mut digests = Digests::new(&generation, today, 1_000_000);
    let mut ids: HashMap<String, i64> = HashMap::new();
    let profiles = [
        (Criticality::Medium, Exposure::Internal),
        (Criticality::Critical, Exposure::Internet),
    ];
    // Hosts that needed no scan at all; packages scanned and packages in all.
    let (mut untouched, mut partial, mut total, mut findings) = (0, 0, 0, 0);
    let mut templates = std::collections::BTreeSet::new();
    let mut kernels = 0;
    let mut pro = 0;
    for i in 0..72u64 {
        let h = fleet.host(11, i);
        templates.insert(h.template);
        let mut inv = h.inventory;
        // Every third Debian host has two kernel images and runs one or the other: the
        // same packages have different kernel roles on different hosts.
        if i % 3 == 0
            && let Some(perf) = inv
                .packages
                .iter()
                .find(|p| p.name == "linux-perf")
                .cloned()
        {
            for (abi, version) in [("20", "6.1.76-1"), ("25", "6.1.106-3")] {
                let mut image = perf.clone();
                image.name = format!("linux-image-6.1.0-{abi}-amd64");
                image.version = version.into();
                image.source_name = Some("linux-signed-amd64".into());
                image.source_version = Some(version.into());
                image.purl = None;
                inv.packages.push(image);
            }
            let abi = if i % 2 == 0 { "20" } else { "25" };
            inv.host.kernel.running = Some(format!("6.1.0-{abi}-amd64"));
            kernels += 1;
        }
        // Every other Ubuntu host is attached to Ubuntu Pro.
        if i % 2 == 1
            && let Some(os) = inv.host.os.as_mut()
            && os.id.as_deref() == Some("ubuntu")
        {
            os.ubuntu_pro = Some(caulk_model::inventory::UbuntuPro {
                attached: true,
                enabled: vec!["esm-apps".into(), "esm-infra".into()],
                file: "/var/lib/ubuntu-advantage/status.json".into(),
            });
            pro += 1;
        }
        inv.normalize();
        let (criticality, exposure) = profiles[(i as usize / 2) % 2];
        let mut packages: Vec<Arc<FleetPackage>> = inv
            .packages
            .iter()
            .map(|p| {
                let key = serde_json::to_string(p).unwrap();
                let n = ids.len() as i64;
                let id = *ids.entry(key).or_insert(n);
                Arc::new(FleetPackage::new(id, p.clone()))
            })
            .collect();
        sort_packages(&mut packages);
        assert!(
            packages.iter().map(|p| &p.package).eq(inv.packages.iter()),
            "the digests' order is the inventory's"
        );
        // The server hands a host's packages over in its own order (package ids): the tally
        // must not depend on it.
        if i % 2 == 1 {
            packages.reverse();
        } else {
            let n = packages.len();
            packages.rotate_left((i as usize * 37) % n.max(1));
        }
        let ctx = HostContext::new(&inv.host, criticality, exposure, &packages);
        let a = Assess {
            loaded: &loaded,
            criticality: Some(criticality),
            exposure: Some(exposure),
            target_kind: TargetKind::Inventory,
            target_path: Some(h.hostname.clone()),
            issues: Vec::new(),
            apt: None,
            today,
            generated_at: None,
            filter: None,
        };
        let (report, _) = assess_digested(&inv, &adv.store, &adv.store, &adv.facts, &a).unwrap();
        let whole = caulk_app::fleet::assessment_of(&report, &generation, [0; 32]);
        // The server's way: scan only the packages without a digest in this context, then
        // tally the host from its packages' digests.
        match digests.missing(&inv.host, &ctx, &packages) {
            Some((sub, scanned)) => {
                assert!(sub.packages.len() <= inv.packages.len());
                partial += sub.packages.len();
                let (_, d) = assess_digested(&sub, &adv.store, &adv.store, &adv.facts, &a).unwrap();
                assert_eq!(d.len(), scanned.len());
                digests.remember(&ctx, &scanned, d);
            }
            None => untouched += 1,
        }
        total += inv.packages.len();
        let t = digests
            .tally(&ctx, &packages)
            .expect("every package has a digest after the scan of the missing ones");
        findings += report.summary.findings;
        let from_digests =
            assessment_of_tally(t.clone(), criticality, exposure, &generation, [0; 32]);
        assert_eq!(from_digests, whole, "host {i} ({})", h.template);
        assert_eq!(t.summary.vulnerabilities, report.summary.vulnerabilities);
        assert_eq!(t.summary.by_status, report.summary.by_status);
        assert_eq!(t.summary.informational, report.summary.informational);
        let ids = |rs: &[caulk_model::finding::Remediation]| {
            rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            t.remediations
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>(),
            ids(&report.remediations),
            "host {i}"
        );
    }
    eprintln!(
        "{untouched} of 72 hosts tallied without a scan; {partial} of {total} packages scanned; {findings} findings compared; {} digests; templates {templates:?}; {kernels} hosts with a running kernel, {pro} with Ubuntu Pro",
        digests.len()
    );
    assert!(templates.len() >= 5, "{templates:?}");
    assert!(
        untouched >= 8,
        "only {untouched} hosts were tallied without a scan"
    );
    assert!(
        partial * 6 < total,
        "{partial} of {total} packages scanned: the digests are not reused"
    );
    assert!(findings > 100_000, "only {findings} findings compared");
    assert!(kernels >= 3, "{kernels}");
    assert!(pro >= 3, "{pro}");
}
