-- caulk fleet store, schema 3 (SQLite): a remediation's vulnerability list is stored once per
-- distinct (ecosystem, package, target version, list), not once per host — at 100,000 hosts
-- the per-host lists were ~2 GB rewritten by every re-match. The PostgreSQL twin is
-- migrations/postgres/0003_fleet_fix.sql: keep them in step.

-- Never changed, never deleted (like package rows): ids stay valid for every host row.
CREATE TABLE fleet_fix (
    id             INTEGER PRIMARY KEY,
    key            BLOB    NOT NULL UNIQUE, -- SHA-256 of the four fields below
    ecosystem      TEXT    NOT NULL,
    package        TEXT    NOT NULL,
    target_version TEXT    NOT NULL,
    vulns          TEXT    NOT NULL         -- JSON array of the vulnerability ids fixed, sorted
);

-- Derived data: dropped and re-derived in the new layout (every host is due again).
DROP TABLE host_remediation;
DELETE FROM host_assessment;

CREATE TABLE host_remediation (
    host_id        INTEGER NOT NULL,
    ecosystem      TEXT    NOT NULL,
    package        TEXT    NOT NULL,
    target_version TEXT    NOT NULL,
    decision       INTEGER NOT NULL,  -- rank: 0 defer … 3 act-now
    severity       INTEGER NOT NULL,  -- rank: 0 unknown, 1 none (CVSS 0.0) … 5 critical
    kev            INTEGER NOT NULL,
    risk           REAL    NOT NULL,
    fix_id         INTEGER NOT NULL,  -- fleet_fix (id): the vulnerabilities fixed
    PRIMARY KEY (host_id, ecosystem, package, target_version)
) WITHOUT ROWID;
CREATE INDEX host_remediation_key ON host_remediation (ecosystem, package, target_version);
