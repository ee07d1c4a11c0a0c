-- caulk fleet store, schema 4 (SQLite): each assessment keeps the SHA-256 of the host's
-- remediation rows as written (`caulk-host-remediations-v1`: key, decision, severity, KEV,
-- risk and fix key of each, in key order), so a re-match leaves a host whose rows did not
-- change alone. NULL until the host is next assessed (its rows are then compared one by one).

ALTER TABLE host_assessment ADD COLUMN remediations_hash BLOB;
