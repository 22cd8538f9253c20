-- No query reads balance rows by next_due (the expiry run visits every balance row and
-- checks each in Go), so the index of 0004_points on it only cost every write that moves a
-- holder's next activation or expiry (which also keeps PostgreSQL from updating the row in
-- place, heap-only). Drop it; a query that needs it later brings it back.
DROP INDEX IF EXISTS points_accounts_due;
