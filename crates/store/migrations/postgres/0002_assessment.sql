-- caulk fleet store, schema 2 (PostgreSQL): twin of migrations/sqlite/0002_assessment.sql.

CREATE TABLE host_assessment (
    host_id        BIGINT  PRIMARY KEY REFERENCES host (id) ON DELETE CASCADE,
    generation     TEXT    NOT NULL,
    inventory_hash BYTEA   NOT NULL,
    assessed_at    BIGINT  NOT NULL,
    total          BIGINT  NOT NULL,
    act_now        BIGINT  NOT NULL,
    kev            BIGINT  NOT NULL,
    overdue        BIGINT  NOT NULL,
    counts         TEXT    NOT NULL
);

CREATE TABLE host_remediation (
    host_id        BIGINT  NOT NULL,
    ecosystem      TEXT    NOT NULL,
    package        TEXT    NOT NULL,
    target_version TEXT    NOT NULL,
    decision       BIGINT  NOT NULL,
    severity       BIGINT  NOT NULL,
    kev            BIGINT  NOT NULL,
    risk           DOUBLE PRECISION NOT NULL,
    vulns          TEXT    NOT NULL,
    PRIMARY KEY (host_id, ecosystem, package, target_version)
);
CREATE INDEX host_remediation_key ON host_remediation (ecosystem, package, target_version);
