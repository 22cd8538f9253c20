-- A version for every balance row (package points, PointsStore): every transaction that
-- changes a holder's balance row, lots, entries or purchases on PostgreSQL adds one to it, so
-- that an optimistic posting (one that read the row without locking it) can write only if
-- the row still has the version it read. Existing rows start at 0.
ALTER TABLE points_accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
