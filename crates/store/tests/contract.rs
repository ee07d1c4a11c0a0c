//! The store's contract: every operation, the same assertions, on SQLite always and on
//! PostgreSQL when `CAULK_TEST_POSTGRES` is a URL (each test in a schema of its own, so they
//! run in parallel). Without the variable the PostgreSQL half is a `SKIP:` (a failure under
//! `CAULK_REQUIRE_ORACLES=1`, as `.ci/run` sets).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use caulk_model::finding::{Criticality, Exposure};
use caulk_model::inventory::Inventory;
use caulk_store::*;
use common::{Place, backends, fleet_inventory, snapshot_packages};
use jiff::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

fn admin() -> Actor {
    Actor::new("user:admin", Some("192.0.2.1"))
}

fn host(name: &str) -> NewHost {
    NewHost {
        hostname: name.into(),
        ..Default::default()
    }
}

fn invalid_field(e: Error) -> &'static str {
    match e {
        Error::Invalid { field, .. } => field,
        other => panic!("want Invalid, got {other:?}"),
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T>) -> Refusal {
    match r {
        Err(Error::Refused(why)) => why,
        other => panic!("want Refused, got {other:?}"),
    }
}

#[tokio::test]
async fn schema_version_is_recorded_and_a_newer_schema_refused() {
    for b in backends("schema").await {
        assert_eq!(
            b.store.schema_version().await.unwrap(),
            SCHEMA_VERSION,
            "{}",
            b.name()
        );
        // Opening again applies nothing and keeps working.
        b.reopen().await.unwrap();
        b.raw(&format!(
            "INSERT INTO caulk_schema (version, applied_at) VALUES ({}, 0)",
            SCHEMA_VERSION + 1
        ))
        .await;
        match b.reopen().await {
            Err(Error::SchemaTooNew { found, known }) => {
                assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
                let msg = Error::SchemaTooNew { found, known }.to_string();
                assert!(msg.contains("newer than this caulk knows"), "{msg}");
            }
            other => panic!("{}: want SchemaTooNew, got {other:?}", b.name()),
        }
        b.cleanup().await;
    }
}

#[tokio::test]
async fn hosts_are_created_read_updated_and_seen() {
    for b in backends("hosts").await {
        let s = &b.store;
        let new = NewHost {
            hostname: "web-1.example.org".into(),
            machine_id: Some("0123456789abcdef0123456789abcdef".into()),
            labels: BTreeMap::from([("env".into(), "prod".into()), ("team".into(), "web".into())]),
            groups: BTreeSet::from(["web".into(), "ring-1".into()]),
            criticality: Criticality::High,
            exposure: Exposure::Internet,
            owner: Some("Web team <web@example.org>".into()),
            agent_version: Some("0.1.0".into()),
        };
        let h = s.create_host(&admin(), &new, at(0)).await.unwrap();
        assert_eq!(s.host(h.id).await.unwrap(), h, "{}", b.name());
        assert_eq!(h.labels, new.labels);
        assert_eq!(
            (h.first_seen, h.last_seen, h.inventory_at),
            (at(0), at(0), None)
        );

        s.heartbeat(h.id, Some("0.2.0"), at(60)).await.unwrap();
        let seen = s.host(h.id).await.unwrap();
        assert_eq!(
            (seen.last_seen, seen.agent_version.as_deref()),
            (at(60), Some("0.2.0"))
        );
        assert_eq!(seen.first_seen, at(0));

        let up = HostUpdate {
            criticality: Some(Criticality::Critical),
            labels: Some(BTreeMap::from([("env".into(), "staging".into())])),
            owner: Some(None),
            ..Default::default()
        };
        let u = s.update_host(&admin(), h.id, &up, at(70)).await.unwrap();
        assert_eq!(u.criticality, Criticality::Critical);
        assert_eq!(u.exposure, Exposure::Internet, "untouched");
        assert_eq!(u.groups, new.groups, "untouched");
        assert_eq!(u.labels, BTreeMap::from([("env".into(), "staging".into())]));
        assert_eq!(u.owner, None);

        // A second host with the same machine id is a conflict, not a second row.
        let dup = s.create_host(&admin(), &new, at(80)).await;
        assert!(
            matches!(dup, Err(Error::Conflict(_))),
            "{}: {dup:?}",
            b.name()
        );
        assert!(matches!(
            s.host(HostId(999_999)).await,
            Err(Error::NotFound { what: "host", .. })
        ));
        assert!(matches!(
            s.heartbeat(HostId(999_999), None, at(1)).await,
            Err(Error::NotFound { .. })
        ));
        b.cleanup().await;
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_error_naming_the_field() {
    for b in backends("bad_input").await {
        let s = &b.store;
        let a = admin();
        let mut cases: Vec<(NewHost, &str)> = Vec::new();
        cases.push((host(""), "hostname"));
        cases.push((host("web 1"), "hostname"));
        cases.push((host(&"a".repeat(254)), "hostname"));
        let mut h = host("ok");
        h.labels.insert("env".into(), "x".repeat(256));
        cases.push((h, "label value"));
        let mut h = host("ok");
        h.labels.insert("Env".into(), "prod".into());
        cases.push((h, "label key"));
        let mut h = host("ok");
        h.labels = (0..65).map(|i| (format!("k{i}"), "v".into())).collect();
        cases.push((h, "labels"));
        let mut h = host("ok");
        h.groups.insert("-bad".into());
        cases.push((h, "group"));
        let mut h = host("ok");
        h.owner = Some("nul\0byte".into());
        cases.push((h, "owner"));
        let mut h = host("ok");
        h.machine_id = Some("../../etc".into());
        cases.push((h, "machine id"));
        for (h, field) in cases {
            let e = s.create_host(&a, &h, at(0)).await.unwrap_err();
            assert_eq!(invalid_field(e), field, "{}", b.name());
        }
        assert_eq!(s.stats().await.unwrap().hosts, 0, "nothing stored");

        let e = s
            .list_hosts(&HostFilter::default(), None, 0)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(e), "limit");
        let e = s
            .create_user(&a, "bob", "short", Role::Admin, at(0))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(e), "password");
        let e = s
            .create_user(&a, "Bob Smith", "long enough password", Role::Admin, at(0))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(e), "user name");
        let e = s
            .create_enrolment_token(&a, "t", 0, at(10), at(0))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(e), "max uses");
        let e = s
            .create_enrolment_token(&a, "t", 1, at(0), at(10))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(e), "expiry");

        let h = s.create_host(&a, &host("inv"), at(0)).await.unwrap();
        let inv = Inventory {
            format_version: 2,
            ..Default::default()
        };
        let e = s.record_inventory(h.id, &inv, at(1)).await.unwrap_err();
        assert_eq!(invalid_field(e), "inventory");
        let mut inv = fleet_inventory(&[tiny_package("a")], 1);
        inv.packages[0].name = "x".repeat(5000);
        let e = s.record_inventory(h.id, &inv, at(1)).await.unwrap_err();
        assert_eq!(invalid_field(e), "inventory");
        b.cleanup().await;
    }
}

fn tiny_package(name: &str) -> caulk_model::inventory::Package {
    caulk_model::inventory::Package {
        ecosystem: "Debian:12".into(),
        name: name.into(),
        version: "1.0-1".into(),
        arch: Some("amd64".into()),
        source_name: Some(name.into()),
        source_version: Some("1.0-1".into()),
        purl: None,
        vendor: None,
        file: "/var/lib/dpkg/status".into(),
        owned_by: None,
        state: caulk_model::inventory::InstallState::Installed,
        collector: caulk_model::inventory::Collector::Dpkg,
    }
}

#[tokio::test]
async fn cursor_pages_are_stable_while_hosts_are_added_and_filters_apply() {
    for b in backends("pages").await {
        let s = &b.store;
        let mut originals = Vec::new();
        for i in 0..25 {
            let mut h = host(&format!("h{i:02}"));
            if i % 2 == 0 {
                h.groups.insert("even".into());
            }
            h.labels.insert("rack".into(), format!("r{}", i % 3));
            h.criticality = if i % 5 == 0 {
                Criticality::Critical
            } else {
                Criticality::Medium
            };
            originals.push(s.create_host(&admin(), &h, at(i)).await.unwrap().id);
        }
        let mut seen = Vec::new();
        let mut after = None;
        let mut added = 0;
        loop {
            let page = s
                .list_hosts(&HostFilter::default(), after, 10)
                .await
                .unwrap();
            assert!(page.items.len() <= 10);
            seen.extend(page.items.iter().map(|h| h.id));
            // Hosts arriving between pages land after the cursor: nothing is skipped or
            // repeated.
            if added < 2 {
                s.create_host(&admin(), &host(&format!("late{added}")), at(100))
                    .await
                    .unwrap();
                added += 1;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{}: no host twice", b.name());
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
        assert!(
            originals.iter().all(|id| unique.contains(id)),
            "every original host listed"
        );
        assert_eq!(seen.len(), 27, "and the late ones after the cursor");

        // Filters, alone and paged.
        let f = HostFilter {
            group: Some("even".into()),
            ..Default::default()
        };
        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let p = s.list_hosts(&f, after, 4).await.unwrap();
            ids.extend(p.items.iter().map(|h| h.hostname.clone()));
            assert!(p.items.iter().all(|h| h.groups.contains("even")));
            match p.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(ids.len(), 13, "{}", b.name());
        let f = HostFilter {
            label: Some(("rack".into(), "r1".into())),
            criticality: Some(Criticality::Medium),
            ..Default::default()
        };
        let got: Vec<String> = s
            .list_hosts(&f, None, 100)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|h| h.hostname)
            .collect();
        assert_eq!(
            got,
            ["h01", "h04", "h07", "h13", "h16", "h19", "h22"],
            "{}",
            b.name()
        );
        let f = HostFilter {
            hostname_prefix: Some("late".into()),
            ..Default::default()
        };
        assert_eq!(s.list_hosts(&f, None, 100).await.unwrap().items.len(), 2);
        b.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_enrolment_token_of_three_uses_enrols_exactly_three_of_many_concurrent_agents() {
    for b in backends("enrol_race").await {
        let s = &b.store;
        let tok = s
            .create_enrolment_token(&admin(), "rack-7", 3, at(3600), at(0))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (s, t) = (s.clone(), tok.token.clone());
                tokio::spawn(async move {
                    s.enrol(
                        &t,
                        &host(&format!("agent-{i}")),
                        Some("198.51.100.7"),
                        at(10),
                    )
                    .await
                })
            })
            .collect();
        let mut ok = 0;
        let mut used_up = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(e) => {
                    ok += 1;
                    assert_eq!(
                        s.authenticate_agent(&e.credential.token, at(11))
                            .await
                            .unwrap(),
                        e.host.id
                    );
                }
                Err(Error::Refused(Refusal::UsedUp)) => used_up += 1,
                Err(other) => panic!("{}: {other:?}", b.name()),
            }
        }
        assert_eq!((ok, used_up), (3, 13), "{}", b.name());
        assert_eq!(s.enrolment_token(tok.id).await.unwrap().uses, 3);
        assert_eq!(s.stats().await.unwrap().hosts, 3);
        b.cleanup().await;
    }
}

#[tokio::test]
async fn enrolment_refuses_expired_revoked_wrong_and_malformed_tokens_and_gives_back_failed_uses() {
    for b in backends("enrol_refusals").await {
        let s = &b.store;
        let tok = s
            .create_enrolment_token(&admin(), "t", 2, at(100), at(0))
            .await
            .unwrap();
        assert_eq!(
            refusal(s.enrol(&tok.token, &host("a"), None, at(100)).await),
            Refusal::Expired
        );
        // The wrong secret for a real id: unknown, and no use taken.
        let wrong = format!(
            "{}{}",
            &tok.token[..tok.token.len() - 1],
            if tok.token.ends_with('0') { '1' } else { '0' }
        );
        assert_eq!(
            refusal(s.enrol(&wrong, &host("a"), None, at(1)).await),
            Refusal::Unknown
        );
        assert_eq!(
            refusal(s.enrol("caulk_enr_1_zz", &host("a"), None, at(1)).await),
            Refusal::Malformed
        );
        let api = s
            .create_api_token(&admin(), "api", Role::Admin, None, at(0))
            .await
            .unwrap();
        assert_eq!(
            refusal(s.enrol(&api.token, &host("a"), None, at(1)).await),
            Refusal::Malformed
        );
        assert_eq!(s.enrolment_token(tok.id).await.unwrap().uses, 0);

        // A machine that enrols again (its agent lost the answer) is the same host with a
        // new credential; the old one is refused from then on. It spends a use.
        let mut m = host("m1");
        m.machine_id = Some("abc".into());
        let first = s.enrol(&tok.token, &m, None, at(1)).await.unwrap();
        m.hostname = "m1-renamed".into();
        let again = s.enrol(&tok.token, &m, None, at(2)).await.unwrap();
        assert_eq!(again.host.id, first.host.id, "{}", b.name());
        assert_eq!(again.host.hostname, "m1-renamed");
        assert_ne!(again.credential.token, first.credential.token);
        assert!(
            s.authenticate_agent(&first.credential.token, at(3))
                .await
                .is_err()
        );
        assert_eq!(
            s.authenticate_agent(&again.credential.token, at(3))
                .await
                .unwrap(),
            first.host.id
        );
        assert_eq!(s.enrolment_token(tok.id).await.unwrap().uses, 2);
        let log = s.audit_log(0, 100).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.action == "host.re-enrol"
                    && e.target == format!("host:{}", first.host.id))
        );
        assert_eq!(s.stats().await.unwrap().hosts, 1);
        // Once the host has reported, a machine id alone takes nothing over: a conflict,
        // and the use is given back.
        let mut inv = Inventory::default();
        inv.packages.push(tiny_package("bash"));
        s.record_inventory(first.host.id, &inv, at(3))
            .await
            .unwrap();
        let tok2 = s
            .create_enrolment_token(&admin(), "t2", 1, at(100), at(0))
            .await
            .unwrap();
        let taken = s.enrol(&tok2.token, &m, None, at(4)).await;
        assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
        assert_eq!(s.enrolment_token(tok2.id).await.unwrap().uses, 0);
        assert_eq!(
            s.authenticate_agent(&again.credential.token, at(4))
                .await
                .unwrap(),
            first.host.id
        );
        // Deleting the host frees the machine id: gone with its links, history and
        // credentials; enrolling again makes a new host.
        s.delete_host(&admin(), first.host.id, at(5)).await.unwrap();
        assert!(matches!(
            s.host(first.host.id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(
            s.authenticate_agent(&again.credential.token, at(5))
                .await
                .is_err()
        );
        assert!(
            s.inventory_history(first.host.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let st = s.stats().await.unwrap();
        assert_eq!((st.hosts, st.host_packages), (0, 0), "{}", b.name());
        assert!(matches!(
            s.delete_host(&admin(), first.host.id, at(5)).await,
            Err(Error::NotFound { .. })
        ));
        let tok3 = s
            .create_enrolment_token(&admin(), "t3", 1, at(100), at(0))
            .await
            .unwrap();
        let fresh = s.enrol(&tok3.token, &m, None, at(6)).await.unwrap();
        assert_ne!(fresh.host.id, first.host.id);
        let log = s.audit_log(0, 100).await.unwrap();
        assert!(log.iter().any(|e| e.action == "host.delete"));

        s.revoke_enrolment_token(&admin(), tok.id, at(3))
            .await
            .unwrap();
        assert_eq!(
            refusal(s.enrol(&tok.token, &host("b"), None, at(4)).await),
            Refusal::Revoked
        );
        assert!(matches!(
            s.revoke_enrolment_token(&admin(), TokenId(424_242), at(3))
                .await,
            Err(Error::NotFound { .. })
        ));
        b.cleanup().await;
    }
}

#[tokio::test]
async fn api_tokens_and_agent_credentials_are_refused_at_once_when_revoked_or_expired() {
    for b in backends("tokens").await {
        let s = &b.store;
        let t = s
            .create_api_token(&admin(), "ci", Role::Operator, Some(at(100)), at(0))
            .await
            .unwrap();
        let p = s.authenticate_api_token(&t.token, at(50)).await.unwrap();
        assert_eq!(p.role(), Role::Operator);
        assert_eq!(
            refusal(s.authenticate_api_token(&t.token, at(100)).await),
            Refusal::Expired
        );

        let t2 = s
            .create_api_token(&admin(), "audit", Role::Auditor, None, at(0))
            .await
            .unwrap();
        assert_eq!(
            s.authenticate_api_token(&t2.token, at(1))
                .await
                .unwrap()
                .role(),
            Role::Auditor
        );
        s.revoke_api_token(&admin(), t2.id, at(2)).await.unwrap();
        assert_eq!(
            refusal(s.authenticate_api_token(&t2.token, at(2)).await),
            Refusal::Revoked,
            "{}",
            b.name()
        );
        // Revoking twice is fine and audits once.
        s.revoke_api_token(&admin(), t2.id, at(3)).await.unwrap();
        assert_eq!(
            refusal(
                s.authenticate_api_token("caulk_api_999_".to_string().as_str(), at(1))
                    .await
            ),
            Refusal::Malformed
        );
        let forged = format!("caulk_api_{}_{}", t2.id, "0".repeat(64));
        assert_eq!(
            refusal(s.authenticate_api_token(&forged, at(1)).await),
            Refusal::Unknown
        );

        let enr = s
            .create_enrolment_token(&admin(), "e", 1, at(100), at(0))
            .await
            .unwrap();
        let e = s
            .enrol(&enr.token, &host("agent"), None, at(1))
            .await
            .unwrap();
        assert_eq!(
            s.authenticate_agent(&e.credential.token, at(2))
                .await
                .unwrap(),
            e.host.id
        );
        assert_eq!(
            s.revoke_agent_credentials(&admin(), e.host.id, at(3))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            refusal(s.authenticate_agent(&e.credential.token, at(3)).await),
            Refusal::Revoked
        );
        assert_eq!(
            refusal(s.authenticate_agent(&t.token, at(3)).await),
            Refusal::Malformed
        );

        let revokes = s
            .audit_log(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "api-token.revoke")
            .count();
        assert_eq!(revokes, 1);
        b.cleanup().await;
    }
}

#[tokio::test]
async fn users_log_in_with_argon2_passwords_and_disabled_users_are_refused() {
    for b in backends("users").await {
        let s = &b.store;
        let id = s
            .create_user(
                &admin(),
                "alice",
                "correct horse battery",
                Role::Admin,
                at(0),
            )
            .await
            .unwrap();
        let p = s
            .verify_password("alice", "correct horse battery")
            .await
            .unwrap();
        assert_eq!(
            p,
            Principal::User {
                id,
                name: "alice".into(),
                role: Role::Admin
            }
        );
        assert_eq!(
            refusal(s.verify_password("alice", "wrong horse battery").await),
            Refusal::Unknown
        );
        assert_eq!(
            refusal(s.verify_password("mallory", "correct horse battery").await),
            Refusal::Unknown
        );
        assert!(matches!(
            s.create_user(
                &admin(),
                "alice",
                "another long password",
                Role::Auditor,
                at(1)
            )
            .await,
            Err(Error::Conflict(_))
        ));
        s.disable_user(&admin(), id, at(2)).await.unwrap();
        assert_eq!(
            refusal(s.verify_password("alice", "correct horse battery").await),
            Refusal::Disabled
        );
        b.cleanup().await;
    }
}

#[tokio::test]
async fn no_secret_is_stored_in_clear() {
    use sha2_check::sha256_hex_part;
    for b in backends("hashed").await {
        let s = &b.store;
        let password = "a password nobody should read";
        s.create_user(&admin(), "carol", password, Role::Operator, at(0))
            .await
            .unwrap();
        let api = s
            .create_api_token(&admin(), "t", Role::Admin, None, at(0))
            .await
            .unwrap();
        let enr = s
            .create_enrolment_token(&admin(), "e", 5, at(100), at(0))
            .await
            .unwrap();
        let agent = s
            .enrol(&enr.token, &host("h"), None, at(1))
            .await
            .unwrap()
            .credential;
        let secrets: Vec<String> = [&api.token, &enr.token, &agent.token]
            .iter()
            .map(|t| t.rsplit('_').next().unwrap().to_string())
            .chain([password.to_string()])
            .collect();
        let mut digests_found = 0;
        for table in [
            "app_user",
            "api_token",
            "enrolment_token",
            "agent_credential",
            "audit",
        ] {
            for v in b.values(table).await {
                for sec in &secrets {
                    assert!(
                        !v.windows(sec.len()).any(|w| w == sec.as_bytes()),
                        "{}: a secret in clear in {table}",
                        b.name()
                    );
                }
                if secrets[..3].iter().any(|sec| v == sha256_hex_part(sec)) {
                    digests_found += 1;
                }
                if v.starts_with(b"$argon2id$") {
                    digests_found += 1;
                }
            }
        }
        assert_eq!(
            digests_found,
            4,
            "{}: three SHA-256 digests and one argon2id hash",
            b.name()
        );
        if let Place::Sqlite(path) = &b.place {
            // Nor anywhere in the database files (free pages, the WAL).
            for f in [path.clone(), path.with_extension("db-wal")] {
                if let Ok(bytes) = std::fs::read(&f) {
                    for sec in &secrets {
                        assert!(
                            !bytes.windows(sec.len()).any(|w| w == sec.as_bytes()),
                            "{}",
                            f.display()
                        );
                    }
                }
            }
        }
        b.cleanup().await;
    }
}

mod sha2_check {
    /// SHA-256 of a token's secret part, computed independently of the store.
    pub fn sha256_hex_part(secret: &str) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes()).to_vec()
    }
}

#[tokio::test]
async fn identical_packages_of_many_hosts_are_stored_once() {
    let Some(base) = snapshot_packages() else {
        return;
    };
    for b in backends("dedup").await {
        let s = &b.store;
        let mut inv = fleet_inventory(&base, 1);
        // A language package installed by the distro: every field must come back.
        let mut lang = tiny_package("requests");
        lang.ecosystem = "PyPI".into();
        lang.version = "2.28.1".into();
        lang.arch = None;
        lang.source_name = None;
        lang.source_version = None;
        lang.file = "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info".into();
        lang.owned_by = Some("python3-requests".into());
        lang.collector = caulk_model::inventory::Collector::Python;
        inv.packages.push(lang);
        let distinct = inv
            .packages
            .iter()
            .map(package_key)
            .collect::<HashSet<_>>()
            .len() as u64;
        let h1 = s.create_host(&admin(), &host("a"), at(0)).await.unwrap().id;
        let h2 = s.create_host(&admin(), &host("b"), at(0)).await.unwrap().id;
        assert_eq!(
            s.record_inventory(h1, &inv, at(1)).await.unwrap(),
            InventoryOutcome::First { packages: distinct }
        );
        assert_eq!(
            s.record_inventory(h2, &inv, at(1)).await.unwrap(),
            InventoryOutcome::First { packages: distinct }
        );
        let st = s.stats().await.unwrap();
        assert_eq!(
            (st.packages, st.host_packages),
            (distinct, 2 * distinct),
            "{}",
            b.name()
        );

        // A third host one version apart adds one row, not a copy.
        let mut inv3 = inv.clone();
        inv3.packages[5].version.push_str("+deb12u9");
        let h3 = s.create_host(&admin(), &host("c"), at(0)).await.unwrap().id;
        s.record_inventory(h3, &inv3, at(2)).await.unwrap();
        assert_eq!(s.stats().await.unwrap().packages, distinct + 1);

        // Round trip: what is stored is what was sent (in canonical order).
        let mut want = inv.clone();
        want.normalize();
        assert_eq!(
            s.inventory(h1).await.unwrap().unwrap(),
            want,
            "{}",
            b.name()
        );
        assert_eq!(
            s.inventory(s.create_host(&admin(), &host("d"), at(0)).await.unwrap().id)
                .await
                .unwrap(),
            None
        );
        let rec = s.host(h1).await.unwrap();
        assert_eq!(
            (rec.ecosystem.as_deref(), rec.inventory_at),
            (Some("Debian:12"), Some(at(1)))
        );

        // Fleet matching sees each distinct package once, and who has it.
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = s.fleet_packages(after, 300).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.0);
            all.extend(page);
        }
        assert_eq!(all.len() as u64, distinct + 1);
        let changed = all
            .iter()
            .find(|(_, p)| p.version.ends_with("+deb12u9"))
            .unwrap()
            .0;

        let shared = all.iter().find(|(_, p)| *p == inv.packages[0]).unwrap().0;
        assert_eq!(
            s.hosts_with_packages(&[shared, changed]).await.unwrap(),
            vec![(shared, h1), (shared, h2), (shared, h3), (changed, h3)]
        );
        b.cleanup().await;
    }
}

#[tokio::test]
async fn an_unchanged_check_in_is_detected_and_only_touches_last_seen() {
    let Some(base) = snapshot_packages() else {
        return;
    };
    for b in backends("unchanged").await {
        let s = &b.store;
        let h = s.create_host(&admin(), &host("a"), at(0)).await.unwrap().id;
        let inv = fleet_inventory(&base, 3);
        s.record_inventory(h, &inv, at(1)).await.unwrap();
        assert_eq!(
            s.record_inventory(h, &inv, at(2)).await.unwrap(),
            InventoryOutcome::Unchanged
        );
        // Order and exact duplicates do not make an inventory different.
        let mut shuffled = inv.clone();
        shuffled.packages.reverse();
        shuffled.packages.push(shuffled.packages[0].clone());
        assert_eq!(
            s.record_inventory(h, &shuffled, at(3)).await.unwrap(),
            InventoryOutcome::Unchanged
        );
        let rec = s.host(h).await.unwrap();
        assert_eq!(
            (rec.last_seen, rec.inventory_at),
            (at(3), Some(at(1))),
            "{}",
            b.name()
        );
        assert_eq!(
            s.inventory_history(h, 10).await.unwrap().len(),
            1,
            "no event for unchanged"
        );
        // An agent that sends only the hash.
        let hash = inventory_hash(&inv).unwrap();
        assert_eq!(hash, inventory_hash(&shuffled).unwrap());
        assert!(s.check_in_unchanged(h, &hash, at(4)).await.unwrap());
        assert!(!s.check_in_unchanged(h, &[7; 32], at(5)).await.unwrap());
        assert_eq!(s.host(h).await.unwrap().last_seen, at(4));
        // A changed fact (not a package) is a change.
        let mut rebooted = inv.clone();
        rebooted.host.kernel.running = Some("6.1.0-99-amd64".into());
        assert_eq!(
            s.record_inventory(h, &rebooted, at(6)).await.unwrap(),
            InventoryOutcome::Changed {
                added: 0,
                removed: 0,
                changed: 0
            }
        );
        assert!(matches!(
            s.record_inventory(HostId(987_654), &inv, at(5)).await,
            Err(Error::NotFound { .. })
        ));
        b.cleanup().await;
    }
}

#[tokio::test]
async fn a_late_report_never_replaces_a_newer_inventory() {
    // An agent's spool delivers reports observed while the server was away: each one dates
    // its inventory and history event; one observed before the stored inventory is refused.
    let Some(base) = snapshot_packages() else {
        return;
    };
    for b in backends("late").await {
        let s = &b.store;
        let h = s.create_host(&admin(), &host("a"), at(0)).await.unwrap().id;
        let older = fleet_inventory(&base, 3);
        let mut newer = older.clone();
        newer.packages.pop();
        assert!(matches!(
            s.record_inventory_observed(h, &older, at(10), at(100))
                .await
                .unwrap(),
            InventoryOutcome::First { .. }
        ));
        let rec = s.host(h).await.unwrap();
        assert_eq!((rec.inventory_at, rec.last_seen), (Some(at(10)), at(100)));
        assert!(matches!(
            s.record_inventory_observed(h, &newer, at(20), at(101))
                .await
                .unwrap(),
            InventoryOutcome::Changed { removed: 1, .. }
        ));
        // The older report arrives late (a retry, a spool): not stored, last seen written.
        assert_eq!(
            s.record_inventory_observed(h, &older, at(15), at(102))
                .await
                .unwrap(),
            InventoryOutcome::Stale,
            "{}",
            b.name()
        );
        let rec = s.host(h).await.unwrap();
        assert_eq!((rec.inventory_at, rec.last_seen), (Some(at(20)), at(102)));
        assert_eq!(
            inventory_hash(&s.inventory(h).await.unwrap().unwrap()).unwrap(),
            inventory_hash(&newer).unwrap()
        );
        let events = s.inventory_history(h, 10).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.at).collect::<Vec<_>>(),
            [at(20), at(10)],
            "history is dated by observation"
        );
        // An agent's clock in our future dates the inventory now, not later.
        assert!(matches!(
            s.record_inventory_observed(h, &older, at(5000), at(103))
                .await
                .unwrap(),
            InventoryOutcome::Changed { .. }
        ));
        assert_eq!(s.host(h).await.unwrap().inventory_at, Some(at(103)));
        b.cleanup().await;
    }
}

#[tokio::test]
async fn history_records_what_changed_when_as_diffs() {
    let Some(base) = snapshot_packages() else {
        return;
    };
    for b in backends("history").await {
        let s = &b.store;
        let h = s.create_host(&admin(), &host("a"), at(0)).await.unwrap().id;
        let v1 = fleet_inventory(&base, 1);
        s.record_inventory(h, &v1, at(10)).await.unwrap();

        let mut v2 = v1.clone();
        let upgraded_old = v2.packages[10].clone();
        v2.packages[10].version.push_str("+deb12u1");
        let upgraded_new = v2.packages[10].clone();
        let removed = v2.packages.remove(20);
        let mut added = tiny_package("brand-new-tool");
        added.version = "2.0-1".into();
        v2.packages.push(added.clone());
        assert_eq!(
            s.record_inventory(h, &v2, at(20)).await.unwrap(),
            InventoryOutcome::Changed {
                added: 1,
                removed: 1,
                changed: 1
            },
            "{}",
            b.name()
        );
        let hist = s.inventory_history(h, 10).await.unwrap();
        assert_eq!(hist.len(), 2);
        let (last, first) = (&hist[0], &hist[1]);
        assert!(first.initial && !last.initial);
        assert_eq!((first.at, last.at), (at(10), at(20)));
        assert_eq!(first.packages, v1.packages.len() as u64);
        assert_eq!(last.added, vec![added]);
        assert_eq!(last.removed, vec![removed]);
        assert_eq!(last.changed, vec![(upgraded_old, upgraded_new)]);
        let mut want = v2.clone();
        want.normalize();
        assert_eq!(s.inventory(h).await.unwrap().unwrap(), want);

        // Back to v1: the reverse diff.
        assert_eq!(
            s.record_inventory(h, &v1, at(30)).await.unwrap(),
            InventoryOutcome::Changed {
                added: 1,
                removed: 1,
                changed: 1
            }
        );
        assert_eq!(s.inventory_history(h, 1).await.unwrap()[0].at, at(30));
        b.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_chain_verifies_and_names_the_first_tampered_entry() {
    for b in backends("audit").await {
        let s = &b.store;
        // Audited mutations plus concurrent appends: one chain, no fork.
        let h = s.create_host(&admin(), &host("a"), at(0)).await.unwrap();
        s.update_host(
            &admin(),
            h.id,
            &HostUpdate {
                exposure: Some(Exposure::Isolated),
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap();
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.append_audit(
                        &AuditRecord {
                            actor: Actor::new(format!("user:u{i}"), Some("203.0.113.9")),
                            action: "login.fail".into(),
                            target: "user:root".into(),
                            detail: format!("attempt {i}"),
                        },
                        at(2),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let log = s.audit_log(0, 1000).await.unwrap();
        assert_eq!(log.len(), 14, "{}", b.name());
        assert_eq!(log[0].action, "host.create");
        assert_eq!(
            (log[0].actor.as_str(), log[0].address.as_deref()),
            ("user:admin", Some("192.0.2.1"))
        );
        assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as i64 + 1));
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerification {
                entries: 14,
                first_broken: None
            }
        );

        b.raw("UPDATE audit SET actor = 'user:mallory' WHERE seq = 5")
            .await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(
            v.first_broken.as_ref().map(|b| b.0),
            Some(5),
            "{}: {v:?}",
            b.name()
        );
        assert!(v.first_broken.unwrap().1.contains("altered"));
        b.cleanup().await;
    }
    for b in backends("audit_cut").await {
        let s = &b.store;
        for i in 0..4 {
            s.append_audit(
                &AuditRecord {
                    actor: admin(),
                    action: "x.y".into(),
                    target: format!("t{i}"),
                    detail: String::new(),
                },
                at(i),
            )
            .await
            .unwrap();
        }
        b.raw("DELETE FROM audit WHERE seq = 2").await;
        assert_eq!(
            s.verify_audit().await.unwrap().first_broken.map(|b| b.0),
            Some(2),
            "{}",
            b.name()
        );
        b.raw("DELETE FROM audit WHERE seq >= 2").await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(
            v.first_broken.as_ref().map(|b| b.0),
            Some(2),
            "{}: {v:?}",
            b.name()
        );
        assert!(v.first_broken.unwrap().1.contains("removed from the end"));
        b.cleanup().await;
    }
}

#[tokio::test]
async fn backends_agree_on_the_same_history() {
    // The contract's point: the same calls give the same answers on every backend.
    let Some(base) = snapshot_packages() else {
        return;
    };
    let mut answers = Vec::new();
    for b in backends("agree").await {
        let s = &b.store;
        let mut out = Vec::new();
        for i in 0..6 {
            let h = s
                .create_host(&admin(), &host(&format!("h{i}")), at(0))
                .await
                .unwrap()
                .id;
            for round in 0..3 {
                let inv = fleet_inventory(&base, i + round * 3);
                out.push(format!(
                    "{:?}",
                    s.record_inventory(h, &inv, at(round as i64)).await.unwrap()
                ));
            }
            out.push(format!(
                "{:?}",
                s.inventory_history(h, 10)
                    .await
                    .unwrap()
                    .iter()
                    .map(|e| (e.added.len(), e.removed.len(), e.changed.len()))
                    .collect::<Vec<_>>()
            ));
        }
        let st = s.stats().await.unwrap();
        out.push(format!("{st:?}"));
        answers.push((b.name(), out));
        b.cleanup().await;
    }
    match answers.as_slice() {
        [(_, a), (_, p)] => assert_eq!(a, p),
        // One backend: nothing to compare — a loud skip, and a failure in CI.
        [_] => caulk_testkit::missing("CAULK_TEST_POSTGRES is unset: no second backend to compare"),
        other => panic!("{} backends", other.len()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inventories_share_new_package_rows_and_one_host_takes_turns() {
    for b in backends("concurrent_inv").await {
        let s = &b.store;
        // Eight hosts at once, each with the same 50 packages nobody stored yet.
        let shared: Vec<_> = (0..50)
            .map(|i| tiny_package(&format!("fresh-{i:02}")))
            .collect();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(
                s.create_host(&admin(), &host(&format!("c{i}")), at(0))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let tasks: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, &h)| {
                let s = s.clone();
                let mut packages = shared.clone();
                packages.push(tiny_package(&format!("own-{i}")));
                tokio::spawn(async move {
                    let inv = Inventory {
                        packages,
                        ..Default::default()
                    };
                    s.record_inventory(h, &inv, at(1)).await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(
                t.await.unwrap().unwrap(),
                InventoryOutcome::First { packages: 51 },
                "{}",
                b.name()
            );
        }
        let st = s.stats().await.unwrap();
        assert_eq!(
            (st.packages, st.host_packages),
            (58, 8 * 51),
            "{}",
            b.name()
        );

        // One host, six different inventories at once: each is stored whole, in turn.
        let h = ids[0];
        let tasks: Vec<_> = (0..6)
            .map(|k| {
                let s = s.clone();
                let mut packages = shared.clone();
                packages.truncate(40 + k);
                tokio::spawn(async move {
                    let inv = Inventory {
                        packages,
                        ..Default::default()
                    };
                    (k, s.record_inventory(h, &inv, at(2 + k as i64)).await)
                })
            })
            .collect();
        for t in tasks {
            let (k, r) = t.await.unwrap();
            assert!(
                matches!(r, Ok(InventoryOutcome::Changed { .. })),
                "{}: {k}: {r:?}",
                b.name()
            );
        }
        let now = s.inventory(h).await.unwrap().unwrap();
        assert!((40..46).contains(&now.packages.len()));
        let hist = s.inventory_history(h, 100).await.unwrap();
        assert_eq!(hist.len(), 7, "{}", b.name());
        assert_eq!(
            hist[0].packages,
            now.packages.len() as u64,
            "the newest event is the stored inventory"
        );
        b.cleanup().await;
    }
}

/// A first inventory whose package rows all exist is stored in one statement outside a
/// transaction on PostgreSQL (in the usual transaction on SQLite): several of one host at
/// once still give exactly one first inventory, and the rest are changes of it; a host that
/// does not exist is not found.
#[tokio::test]
async fn first_inventories_of_known_packages_race_to_one_first() {
    for b in backends("first_race").await {
        let s = &b.store;
        let known: Vec<_> = (0..30)
            .map(|i| tiny_package(&format!("known-{i:02}")))
            .collect();
        // Some host stores them first, so every package row exists.
        let seed = s
            .create_host(&admin(), &host("seed"), at(0))
            .await
            .unwrap()
            .id;
        let all = Inventory {
            packages: known.clone(),
            ..Default::default()
        };
        s.record_inventory(seed, &all, at(1)).await.unwrap();
        let r = s.record_inventory(HostId(999_999), &all, at(1)).await;
        assert!(
            matches!(r, Err(Error::NotFound { what: "host", .. })),
            "{}: {r:?}",
            b.name()
        );

        let h = s
            .create_host(&admin(), &host("racer"), at(0))
            .await
            .unwrap()
            .id;
        let tasks: Vec<_> = (0..6)
            .map(|k| {
                let s = s.clone();
                let packages = known[..24 + k].to_vec();
                tokio::spawn(async move {
                    let inv = Inventory {
                        packages,
                        ..Default::default()
                    };
                    s.record_inventory(h, &inv, at(2)).await
                })
            })
            .collect();
        let mut firsts = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(InventoryOutcome::First { packages }) => {
                    firsts += 1;
                    assert!((24..30).contains(&packages), "{}: {packages}", b.name());
                }
                Ok(InventoryOutcome::Changed { .. }) => {}
                r => panic!("{}: {r:?}", b.name()),
            }
        }
        assert_eq!(firsts, 1, "{}", b.name());
        let now = s.inventory(h).await.unwrap().unwrap();
        let hist = s.inventory_history(h, 100).await.unwrap();
        assert_eq!(hist.len(), 6, "{}", b.name());
        assert_eq!(hist.iter().filter(|e| e.initial).count(), 1, "{}", b.name());
        assert!(
            hist.last().unwrap().initial,
            "{}: the oldest event is the first",
            b.name()
        );
        assert_eq!(hist[0].packages, now.packages.len() as u64, "{}", b.name());
        assert_eq!(
            s.stats().await.unwrap().host_packages,
            30 + now.packages.len() as u64,
            "{}: the links are the stored inventory's",
            b.name()
        );
        // The same first inventory again on a fresh host: stored whole, then unchanged.
        let h2 = s
            .create_host(&admin(), &host("again"), at(0))
            .await
            .unwrap()
            .id;
        assert_eq!(
            s.record_inventory(h2, &all, at(3)).await.unwrap(),
            InventoryOutcome::First { packages: 30 },
            "{}",
            b.name()
        );
        assert_eq!(
            s.record_inventory(h2, &all, at(4)).await.unwrap(),
            InventoryOutcome::Unchanged,
            "{}",
            b.name()
        );
        assert_eq!(
            s.inventory(h2).await.unwrap().unwrap().packages,
            known,
            "{}",
            b.name()
        );
        b.cleanup().await;
    }
}

#[tokio::test]
async fn a_bootstrap_admin_token_is_taken_only_by_an_empty_database() {
    for b in backends("bootstrap").await {
        let s = &b.store;
        let system = Actor::new("system", None);
        let token = format!("caulk_api_{BOOTSTRAP_TOKEN_ID}_{}", "ab12".repeat(16));
        // Malformed or with another id: refused, naming the field, nothing stored.
        for bad in [
            "hunter2".to_string(),
            format!("caulk_api_7_{}", "ab12".repeat(16)),
            token.to_uppercase(),
        ] {
            let e = s
                .bootstrap_api_token(&system, "bootstrap", &bad, at(0))
                .await
                .unwrap_err();
            assert!(
                !e.to_string().contains(&bad),
                "the secret is not echoed: {e}"
            );
            assert_eq!(invalid_field(e), "bootstrap token");
        }
        assert_eq!(
            s.bootstrap_api_token(&system, "bootstrap", &token, at(0))
                .await
                .unwrap(),
            Some(TokenId(BOOTSTRAP_TOKEN_ID))
        );
        let p = s.authenticate_api_token(&token, at(1)).await.unwrap();
        assert_eq!(p.role(), Role::Admin, "{}", b.name());
        // A second start, or another token: nothing changes.
        let other = format!("caulk_api_0_{}", "cd34".repeat(16));
        assert_eq!(
            s.bootstrap_api_token(&system, "bootstrap", &other, at(2))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            refusal(s.authenticate_api_token(&other, at(3)).await),
            Refusal::Unknown
        );
        // Ids the store assigns do not collide with the bootstrap's; it revokes like any.
        let t = s
            .create_api_token(&admin(), "next", Role::Operator, None, at(3))
            .await
            .unwrap();
        assert_ne!(t.id, TokenId(BOOTSTRAP_TOKEN_ID));
        s.revoke_api_token(&admin(), TokenId(BOOTSTRAP_TOKEN_ID), at(4))
            .await
            .unwrap();
        assert_eq!(
            refusal(s.authenticate_api_token(&token, at(5)).await),
            Refusal::Revoked
        );
        // Audited once, without its secret.
        let log = s.audit_log(0, 100).await.unwrap();
        assert_eq!(
            log.iter()
                .filter(|e| e.action == "api-token.bootstrap")
                .count(),
            1
        );
        assert!(
            log.iter().all(|e| !e.detail.contains("ab12ab12")),
            "no secret in the audit log"
        );
        b.cleanup().await;
    }
}

fn remediation(
    package: &str,
    to: &str,
    decision: caulk_model::finding::Decision,
    risk: f64,
    vulns: &[&str],
) -> HostRemediation {
    HostRemediation {
        ecosystem: "Debian:12".into(),
        package: package.into(),
        target_version: to.into(),
        decision,
        max_severity: caulk_model::finding::Severity::High,
        kev: 0,
        risk_removed: risk,
        vulnerabilities: vulns.iter().map(|v| std::sync::Arc::from(*v)).collect(),
    }
}

#[tokio::test]
async fn assessments_go_stale_with_a_new_inventory_or_generation_and_merge_fleet_wide() {
    use caulk_model::finding::Decision;
    for b in backends("assess").await {
        let s = &b.store;
        let h1 = s.create_host(&admin(), &host("a"), at(0)).await.unwrap().id;
        let h2 = s.create_host(&admin(), &host("b"), at(0)).await.unwrap().id;
        let h3 = s.create_host(&admin(), &host("c"), at(0)).await.unwrap().id;
        // Only hosts with an inventory are ever due.
        assert_eq!(
            s.hosts_to_assess("g1", at(0), None, 10).await.unwrap(),
            vec![]
        );
        let mut inv = Inventory::default();
        inv.packages.push(tiny_package("openssl"));
        s.record_inventory(h1, &inv, at(1)).await.unwrap();
        s.record_inventory(h2, &inv, at(1)).await.unwrap();
        let hash = caulk_store::inventory_hash(&inv).unwrap();
        let due = s.hosts_to_assess("g1", at(0), None, 10).await.unwrap();
        assert_eq!(due, vec![(h1, hash), (h2, hash)], "{}", b.name());
        assert_eq!(
            s.hosts_to_assess("g1", at(0), Some(h1), 10).await.unwrap(),
            vec![(h2, hash)]
        );

        let counts = FindingCounts {
            total: 3,
            act_now: 1,
            kev: 1,
            remediations: 2,
            ..Default::default()
        };
        let a1 = NewAssessment {
            generation: "g1".into(),
            inventory_hash: hash,
            criticality: Criticality::default(),
            exposure: Exposure::default(),
            counts: counts.clone(),
            remediations: vec![
                remediation(
                    "openssl",
                    "3.0.15-1",
                    Decision::Scheduled,
                    10.0,
                    &["CVE-1", "CVE-2"],
                ),
                remediation("curl", "7.88.1-10", Decision::ActNow, 1.0, &["CVE-9"]),
            ],
        };
        assert!(s.put_assessment(h1, &a1, at(2)).await.unwrap());
        let mut a2 = a1.clone();
        a2.remediations = vec![remediation(
            "openssl",
            "3.0.15-1",
            Decision::OutOfCycle,
            5.5,
            &["CVE-2", "CVE-3"],
        )];
        assert!(s.put_assessment(h2, &a2, at(2)).await.unwrap());
        assert_eq!(
            s.hosts_to_assess("g1", at(0), None, 10).await.unwrap(),
            vec![]
        );
        // A new day makes every assessment due again (due dates, overdue).
        assert_eq!(
            s.hosts_to_assess("g1", at(100), None, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        // An assessment of an inventory the host no longer has is dropped.
        let mut stale = a1.clone();
        stale.inventory_hash = [7; 32];
        assert!(!s.put_assessment(h1, &stale, at(3)).await.unwrap());
        // So is one made with a profile the host no longer has.
        let mut other = a1.clone();
        other.criticality = Criticality::Critical;
        assert!(!s.put_assessment(h1, &other, at(3)).await.unwrap());
        assert!(matches!(
            s.put_assessment(HostId(999_999), &a1, at(3)).await,
            Err(Error::NotFound { .. })
        ));

        // Lists carry the counts.
        let rec = s.host(h1).await.unwrap();
        let f = rec.findings.unwrap();
        assert_eq!(
            (f.generation.as_str(), f.counts, f.assessed_at),
            ("g1", counts, at(2))
        );
        let page = s
            .list_hosts(&HostFilter::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(
            page.items
                .iter()
                .map(|h| h.findings.is_some())
                .collect::<Vec<_>>(),
            vec![true, true, false]
        );

        // Fleet-wide: curl first (act-now), then openssl on two hosts with the union of
        // their vulnerabilities and the sum of their risk.
        let (fleet, more) = s.fleet_remediations(None, 0, 10).await.unwrap();
        assert!(!more);
        assert_eq!(
            fleet
                .iter()
                .map(|r| (r.package.as_str(), r.hosts, r.decision, r.risk_removed))
                .collect::<Vec<_>>(),
            vec![
                ("curl", 1, Decision::ActNow, 1.0),
                ("openssl", 2, Decision::OutOfCycle, 15.5)
            ],
            "{}",
            b.name()
        );
        assert_eq!(fleet[1].vulnerabilities, vec!["CVE-1", "CVE-2", "CVE-3"]);
        let (page1, more) = s.fleet_remediations(None, 0, 1).await.unwrap();
        let (page2, _) = s.fleet_remediations(None, 1, 1).await.unwrap();
        assert!(more);
        assert_eq!(
            (page1[0].package.as_str(), page2[0].package.as_str()),
            ("curl", "openssl")
        );
        assert_eq!(
            s.fleet_remediations(Some("PyPI"), 0, 10).await.unwrap().0,
            vec![]
        );

        // A new inventory or a new generation makes a host due again; a new assessment
        // replaces the old remediations.
        let mut inv2 = inv.clone();
        inv2.packages[0].version.push_str("+deb12u1");
        s.record_inventory(h2, &inv2, at(4)).await.unwrap();
        // Until then the list shows the old counts, said to be of another inventory.
        let f2 = s.host(h2).await.unwrap().findings.unwrap();
        assert!(!f2.current_inventory, "{}", b.name());
        assert!(
            s.host(h1)
                .await
                .unwrap()
                .findings
                .unwrap()
                .current_inventory
        );
        assert_eq!(
            s.hosts_to_assess("g1", at(0), None, 10).await.unwrap(),
            vec![(h2, caulk_store::inventory_hash(&inv2).unwrap())]
        );
        assert_eq!(
            s.hosts_to_assess("g2", at(0), None, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        let mut a2b = a1.clone();
        a2b.generation = "g2".into();
        a2b.inventory_hash = caulk_store::inventory_hash(&inv2).unwrap();
        a2b.remediations = vec![];
        assert!(s.put_assessment(h2, &a2b, at(5)).await.unwrap());
        // openssl now applies to h1 only, with h1's vulnerabilities and risk alone.
        let openssl = s
            .fleet_remediations(None, 0, 10)
            .await
            .unwrap()
            .0
            .into_iter()
            .find(|r| r.package == "openssl")
            .unwrap();
        assert_eq!(
            (openssl.hosts, openssl.risk_removed, openssl.vulnerabilities),
            (1, 10.0, vec!["CVE-1".to_string(), "CVE-2".to_string()])
        );
        let _ = h3;

        // A new criticality makes the host's assessment stale (its priorities change).
        let u = HostUpdate {
            criticality: Some(Criticality::High),
            ..Default::default()
        };
        s.update_host(&admin(), h1, &u, at(6)).await.unwrap();
        assert!(s.host(h1).await.unwrap().findings.is_none());
        // (h2's assessment is of g2 and of its current inventory.)
        assert_eq!(
            s.hosts_to_assess("g2", at(0), None, 10).await.unwrap(),
            vec![(h1, hash)]
        );

        // The packages named (or built from the source) `openssl`, installed somewhere.
        let named = s.packages_named("openssl").await.unwrap();
        assert_eq!(named.len(), 2, "{}", b.name());
        assert!(s.packages_named("nothing").await.unwrap().is_empty());
        b.cleanup().await;
    }
}

/// The fleet pass's batch operations: a page of hosts read in one go (profile, facts,
/// inventory hash, package ids; hosts without an inventory left out), package rows by id,
/// and a page of assessments written in one transaction — more rows than one statement
/// takes, a stale one and one of a deleted host left out, the rest as single puts would
/// store them.
#[tokio::test]
async fn a_page_of_assessments_is_read_and_written_in_one_go() {
    use caulk_model::finding::Decision;
    for b in backends("batch").await {
        let s = &b.store;
        let mut ids = Vec::new();
        for i in 0..70 {
            ids.push(
                s.create_host(&admin(), &host(&format!("h{i:02}")), at(0))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let mut inv = Inventory::default();
        inv.host.os = Some(caulk_model::inventory::OsInfo {
            id: Some("debian".into()),
            ecosystem: Some("Debian:12".into()),
            ..Default::default()
        });
        inv.host.kernel.running = Some("6.1.0-28-amd64".into());
        inv.packages.push(tiny_package("openssl"));
        inv.packages.push(tiny_package("curl"));
        // Every host but the last has an inventory; every other one an extra package.
        for (i, h) in ids[..69].iter().enumerate() {
            let mut mine = inv.clone();
            if i % 2 == 1 {
                mine.packages.push(tiny_package(&format!("extra{i}")));
            }
            s.record_inventory(*h, &mine, at(1)).await.unwrap();
        }
        s.update_host(
            &admin(),
            ids[3],
            &caulk_store::HostUpdate {
                criticality: Some(Criticality::Critical),
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap();
        let inputs = s.assessment_inputs(&ids).await.unwrap();
        assert_eq!(
            inputs.len(),
            69,
            "{}: the host without an inventory",
            b.name()
        );
        // Hosts far apart: exactly those, in id order.
        let some: Vec<HostId> = s
            .assessment_inputs(&[ids[60], ids[2], ids[69]])
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(some, vec![ids[2], ids[60]], "{}", b.name());
        assert_eq!(inputs[3].criticality, Criticality::Critical);
        assert_eq!(inputs[0].facts, inv.host);
        for (i, input) in inputs.iter().enumerate() {
            assert_eq!(input.id, ids[i]);
            let mut got: Vec<_> = s
                .packages_by_ids(&input.packages)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, p)| p.name)
                .collect();
            got.sort();
            let mut want: Vec<String> = vec!["curl".into(), "openssl".into()];
            if i % 2 == 1 {
                want.push(format!("extra{i}"));
            }
            want.sort();
            assert_eq!(got, want, "{}: host {i}", b.name());
            let mine = s.inventory(input.id).await.unwrap().unwrap();
            assert_eq!(
                input.inventory_hash,
                caulk_store::inventory_hash(&mine).unwrap()
            );
        }
        // An id no row has is left out.
        let some = inputs[0].packages[0];
        assert_eq!(
            s.packages_by_ids(&[some, caulk_store::PackageId(987_654_321)])
                .await
                .unwrap()
                .len(),
            1
        );

        // One assessment per host, host 0 with 250 remediations (more than a statement
        // takes), the others with 2; host 5's of an old inventory; host 3's of the profile
        // it had before.
        let assessment = |input: &caulk_store::AssessmentInput, n: usize| NewAssessment {
            generation: "g1".into(),
            inventory_hash: input.inventory_hash,
            criticality: input.criticality,
            exposure: input.exposure,
            counts: FindingCounts {
                total: n as u64,
                ..Default::default()
            },
            remediations: (0..n)
                .map(|k| {
                    remediation(
                        &format!("pkg{k:03}"),
                        "2",
                        Decision::Scheduled,
                        1.5,
                        &["CVE-1"],
                    )
                })
                .collect(),
        };
        let mut batch: Vec<(HostId, NewAssessment)> = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (input.id, assessment(input, if i == 0 { 250 } else { 2 })))
            .collect();
        batch[5].1.inventory_hash = [9; 32];
        batch[3].1.criticality = Criticality::Low;
        s.delete_host(&admin(), ids[7], at(2)).await.unwrap();
        assert_eq!(
            s.put_assessments(&batch, at(3)).await.unwrap(),
            66,
            "{}: 69 less the stale, the old profile and the deleted host",
            b.name()
        );
        assert_eq!(s.put_assessments(&[], at(3)).await.unwrap(), 0);
        assert_eq!(
            s.host(ids[0]).await.unwrap().findings.unwrap().counts.total,
            250
        );
        assert!(s.host(ids[5]).await.unwrap().findings.is_none());
        assert!(s.host(ids[3]).await.unwrap().findings.is_none());
        let (fleet, more) = s.fleet_remediations(None, 0, 1000).await.unwrap();
        assert!(!more);
        assert_eq!(fleet.len(), 250, "{}", b.name());
        let hosts_of = |p: &str| fleet.iter().find(|r| r.package == p).unwrap().hosts;
        assert_eq!(
            (hosts_of("pkg000"), hosts_of("pkg001"), hosts_of("pkg249")),
            (66, 66, 1)
        );
        // Due: the three left out (host 7 is gone) — and none of the stored.
        let due: Vec<HostId> = s
            .hosts_to_assess("g1", at(0), None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.0)
            .collect();
        assert_eq!(due, vec![ids[3], ids[5]], "{}", b.name());
        // A second write replaces the remediations, not adds to them.
        let again: Vec<(HostId, NewAssessment)> = vec![(inputs[0].id, assessment(&inputs[0], 1))];
        assert_eq!(s.put_assessments(&again, at(4)).await.unwrap(), 1);
        let (fleet, _) = s.fleet_remediations(None, 0, 1000).await.unwrap();
        assert_eq!(fleet.len(), 2, "{}", b.name());
        // Only what changed is written: host 0's pkg000 changes decision and risk and it
        // gains pkg900; host 1 loses pkg001 and keeps pkg000 as it was.
        let mut h0 = assessment(&inputs[0], 1);
        h0.remediations = vec![
            remediation("pkg000", "2", Decision::ActNow, 9.0, &["CVE-1"]),
            remediation("pkg900", "3", Decision::Scheduled, 1.5, &["CVE-9"]),
        ];
        let h1 = assessment(&inputs[1], 1);
        assert_eq!(
            s.put_assessments(&[(inputs[0].id, h0), (inputs[1].id, h1)], at(5))
                .await
                .unwrap(),
            2
        );
        let (fleet, _) = s.fleet_remediations(None, 0, 1000).await.unwrap();
        let summary: Vec<(&str, u64, Decision, f64, Vec<String>)> = fleet
            .iter()
            .map(|r| {
                (
                    r.package.as_str(),
                    r.hosts,
                    r.decision,
                    r.risk_removed,
                    r.vulnerabilities.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "pkg000",
                    66,
                    Decision::ActNow,
                    65.0 * 1.5 + 9.0,
                    vec!["CVE-1".to_string()]
                ),
                (
                    "pkg001",
                    64,
                    Decision::Scheduled,
                    64.0 * 1.5,
                    vec!["CVE-1".to_string()]
                ),
                (
                    "pkg900",
                    1,
                    Decision::Scheduled,
                    1.5,
                    vec!["CVE-9".to_string()]
                ),
            ],
            "{}",
            b.name()
        );
        b.cleanup().await;
    }
}
