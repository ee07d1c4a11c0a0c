-- caulk fleet store, schema 5 (PostgreSQL). A fleet's links arrive in bulk (a first
-- enrolment writes hundreds per host). Until a vacuum sets the visibility map over them, the
-- index-only scan that reads a page of hosts' links (`LINKS_BY_HOST`) fetches every heap
-- row: a re-match right after the first inventories of 10,000 hosts took 20 s instead of
-- 3 s. Vacuum the links after 1 % new rows (at least 50,000) rather than the default 20 %.
ALTER TABLE host_package SET (
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_insert_threshold = 50000
);
