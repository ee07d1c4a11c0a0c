-- caulk fleet store, schema 5 (SQLite): nothing to do. The PostgreSQL twin tunes the
-- autovacuum of the links; SQLite has no visibility map (its B-tree reads need no vacuum).
SELECT 1;
