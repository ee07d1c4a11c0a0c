-- caulk fleet store, schema 1 (SQLite). Times are microseconds since the Unix epoch (UTC).
-- Secrets are stored as SHA-256 digests (tokens) or argon2 PHC strings (passwords), never
-- in clear. The PostgreSQL twin is migrations/postgres/0001_init.sql: keep them in step.

CREATE TABLE host (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: cursors stay stable
    hostname        TEXT    NOT NULL,
    machine_id      TEXT,
    ecosystem       TEXT,            -- from the last inventory's os-release
    os              TEXT,            -- pretty name, same source
    criticality     TEXT    NOT NULL,
    exposure        TEXT    NOT NULL,
    owner           TEXT,
    agent_version   TEXT,
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    inventory_hash  BLOB,            -- SHA-256 of the stored inventory: unchanged check-ins
    inventory_at    INTEGER,
    facts           TEXT,            -- JSON of caulk_model::inventory::Host
    issues          TEXT             -- JSON of the inventory's issues
);
CREATE UNIQUE INDEX host_machine_id ON host (machine_id) WHERE machine_id IS NOT NULL;
CREATE INDEX host_hostname ON host (hostname, id);

CREATE TABLE host_label (
    host_id INTEGER NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    key     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (host_id, key)
) WITHOUT ROWID;
CREATE INDEX host_label_kv ON host_label (key, value, host_id);

CREATE TABLE host_group (
    host_id INTEGER NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    PRIMARY KEY (host_id, name)
) WITHOUT ROWID;
CREATE INDEX host_group_name ON host_group (name, host_id);

-- Distinct package rows, shared by every host that has them (key = SHA-256 of all fields).
CREATE TABLE package (
    id             INTEGER PRIMARY KEY,
    key            BLOB    NOT NULL UNIQUE,
    ecosystem      TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    arch           TEXT,
    source_name    TEXT,
    source_version TEXT,
    purl           TEXT,
    vendor         TEXT,
    file           TEXT    NOT NULL,
    owned_by       TEXT,            -- the distro package owning `file`
    state          TEXT    NOT NULL,
    collector      TEXT    NOT NULL
);
CREATE INDEX package_triple ON package (ecosystem, name, version);

-- No foreign keys on the links: they would check two parent rows per link (SQLite) or fire
-- two triggers per link (PostgreSQL) — most of a first inventory's time — for ids the store
-- itself just read or inserted in the same transaction. Deleting a host must delete its
-- links and history explicitly.
CREATE TABLE host_package (
    host_id    INTEGER NOT NULL,
    package_id INTEGER NOT NULL,
    PRIMARY KEY (host_id, package_id)
) WITHOUT ROWID;
-- No (package_id, host_id) index: a host's links are contiguous in the primary key, so
-- storing an inventory writes a few pages; an index by package scatters the same rows over
-- one page per package (measured: 69x the time of the bare insert, 1.5 MB of WAL per host).
-- Package -> hosts is a scan, done once per fleet assessment (BENCHMARKS.md, store).

-- One row per inventory that changed something; the first has initial = 1 and no change
-- rows (the current links minus the later changes give it back).
CREATE TABLE inventory_event (
    id       INTEGER PRIMARY KEY,
    host_id  INTEGER NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    hash     BLOB    NOT NULL,
    initial  INTEGER NOT NULL,
    packages INTEGER NOT NULL,
    added    INTEGER NOT NULL,
    removed  INTEGER NOT NULL,
    changed  INTEGER NOT NULL
);
CREATE INDEX inventory_event_host ON inventory_event (host_id, id);

CREATE TABLE inventory_change (
    event_id       INTEGER NOT NULL REFERENCES inventory_event (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('added', 'removed', 'changed')),
    package_id     INTEGER NOT NULL,  -- package (id), unchecked like the links
    old_package_id INTEGER
);
CREATE INDEX inventory_change_event ON inventory_change (event_id);

CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,  -- argon2id PHC string
    role          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

CREATE TABLE api_token (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,    -- SHA-256 of the random secret
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);

CREATE TABLE enrolment_token (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,
    max_uses    INTEGER NOT NULL CHECK (max_uses > 0),
    uses        INTEGER NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE agent_credential (
    id          INTEGER PRIMARY KEY,
    host_id     INTEGER NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    secret_hash BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX agent_credential_host ON agent_credential (host_id);

-- Hash-chained: hash = SHA-256(prev_hash, seq, at, actor, action, target, address, detail).
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    address   TEXT,
    detail    TEXT    NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
);
-- The chain's head, one row: appenders compare-and-swap it, so two appends never share a
-- predecessor (PostgreSQL's row lock, SQLite's single writer).
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
