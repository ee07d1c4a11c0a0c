-- caulk fleet store, schema 2 (SQLite): what the server's assessment of each host found.
-- Derived data, recomputed whenever the host's inventory or the advisory database's
-- generation changes (a row whose generation or inventory hash differs is stale). The
-- PostgreSQL twin is migrations/postgres/0002_assessment.sql: keep them in step.

CREATE TABLE host_assessment (
    host_id        INTEGER PRIMARY KEY REFERENCES host (id) ON DELETE CASCADE,
    generation     TEXT    NOT NULL,  -- the advisory database's built_at
    inventory_hash BLOB    NOT NULL,  -- of the inventory assessed
    assessed_at    INTEGER NOT NULL,
    total          INTEGER NOT NULL,  -- active findings
    act_now        INTEGER NOT NULL,
    kev            INTEGER NOT NULL,
    overdue        INTEGER NOT NULL,
    counts         TEXT    NOT NULL   -- JSON of caulk_store::FindingCounts
);

-- One row per remediation of a host's assessment: the fleet-wide list groups them by
-- (ecosystem, package, target_version).
CREATE TABLE host_remediation (
    host_id        INTEGER NOT NULL,
    ecosystem      TEXT    NOT NULL,
    package        TEXT    NOT NULL,
    target_version TEXT    NOT NULL,
    decision       INTEGER NOT NULL,  -- rank: 0 defer … 3 act-now
    severity       INTEGER NOT NULL,  -- rank: 0 unknown, 1 none (CVSS 0.0) … 5 critical
    kev            INTEGER NOT NULL,
    risk           REAL    NOT NULL,
    vulns          TEXT    NOT NULL,  -- JSON array of the vulnerability ids fixed
    PRIMARY KEY (host_id, ecosystem, package, target_version)
) WITHOUT ROWID;
CREATE INDEX host_remediation_key ON host_remediation (ecosystem, package, target_version);
