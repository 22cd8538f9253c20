package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testDB is one database to run a test against.
type testDB struct {
	dialect Dialect
	open    func() (*sql.DB, error) // opens another handle on the same database
}

// postgresDB returns a fresh, empty PostgreSQL schema on the server named by LOYALTY_PG_DSN,
// dropped when the test ends. Without the variable the test is skipped with instructions,
// except under CI (CI=true), where a missing server is a failure.
func postgresDB(t testing.TB) testDB {
	t.Helper()
	dsn := os.Getenv("LOYALTY_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LOYALTY_PG_DSN is not set: under CI the PostgreSQL tests must run (.ci/run starts a server)")
		}
		t.Skip(`PostgreSQL tests need a server: run them with .ci/run, or start one with eval "$(.ci/postgres.sh start)" and set LOYALTY_PG_DSN`)
	}
	admin, err := OpenPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("test_%x", rand.Uint64())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := OpenPostgres(dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	schemaDSN := dsn + sep + "search_path=" + schema
	return testDB{dialect: Postgres, open: func() (*sql.DB, error) { return OpenPostgres(schemaDSN) }}
}

// sqliteDB returns a fresh SQLite database file in the test's temporary directory.
func sqliteDB(t testing.TB) testDB {
	path := filepath.Join(t.TempDir(), "loyalty.db")
	return testDB{dialect: SQLite, open: func() (*sql.DB, error) { return OpenSQLite(path) }}
}

// eachDB runs fn against SQLite and PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteDB(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresDB(t)) })
}

func mustOpen(t testing.TB, d testDB) *sql.DB {
	t.Helper()
	db, err := d.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateIsIdempotent(t *testing.T) {
	want, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := mustOpen(t, d)
		ctx := context.Background()
		for run := 1; run <= 2; run++ {
			v, err := Migrate(ctx, db, d.dialect)
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if v != want[len(want)-1].version {
				t.Fatalf("run %d: version %d, want %d", run, v, want[len(want)-1].version)
			}
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM loyalty_schema_migrations`).Scan(&n); err != nil || n != len(want) {
			t.Fatalf("recorded migrations = %d, %v; want %d", n, err, len(want))
		}
		if _, err := db.Exec(`INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at) VALUES ('t', 'k', 'h', 'r', 1)`); err != nil {
			t.Fatalf("the migrated schema is not usable: %v", err)
		}
	})
}

func TestMigrateConcurrentlyFromSeveralConnections(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const instances = 6
		errs := make(chan error, instances)
		for range instances {
			db := mustOpen(t, d) // a separate pool, as another application instance would have
			go func() {
				_, err := Migrate(context.Background(), db, d.dialect)
				errs <- err
			}()
		}
		for range instances {
			if err := <-errs; err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		}
		var n, distinct int
		db := mustOpen(t, d)
		if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM loyalty_schema_migrations`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != distinct || n == 0 {
			t.Errorf("migrations recorded %d times for %d versions", n, distinct)
		}
	})
}

// TestTransactionsRetryConflicts increments one counter from many goroutines, each in its
// own read-then-write transaction. Under serializable isolation (PostgreSQL) and SQLite's
// locking, conflicting attempts fail and inTx must retry them: no increment may be lost.
func TestTransactionsRetryConflicts(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := mustOpen(t, d)
		ctx := context.Background()
		if _, err := db.Exec(`CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO counter (id, n) VALUES (1, 0)`); err != nil {
			t.Fatal(err)
		}
		const workers, each = 8, 15
		errs := make(chan error, workers)
		for range workers {
			go func() {
				for range each {
					err := inTx(ctx, db, d.dialect, func(tx DBTX) error {
						var n int64
						if err := tx.QueryRowContext(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx, `UPDATE counter SET n = $1 WHERE id = 1`, n+1)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Fatalf("increment: %v", err)
			}
		}
		var n int64
		if err := db.QueryRow(`SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil || n != workers*each {
			t.Fatalf("counter = %d, %v; want %d", n, err, workers*each)
		}
	})
}

func TestInTxOnCallersTransactionDoesNotCommit(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := mustOpen(t, d)
		ctx := context.Background()
		if _, err := Migrate(ctx, db, d.dialect); err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := inTx(ctx, tx, d.dialect, func(tx DBTX) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at) VALUES ('s', 'k', 'h', 'r', 1)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM loyalty_idempotency`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows after the caller rolled back = %d, %v; want 0", n, err)
		}
	})
}

func TestPanicInTransactionRollsBack(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := mustOpen(t, d)
		db.SetMaxOpenConns(1) // a connection left in a transaction would block the check below
		ctx := context.Background()
		if _, err := Migrate(ctx, db, d.dialect); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic was swallowed")
				}
			}()
			inTx(ctx, db, d.dialect, func(tx DBTX) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO loyalty_idempotency (scope, key, payload_hash, result, created_at) VALUES ('s', 'k', 'h', 'r', 1)`); err != nil {
					t.Fatal(err)
				}
				panic("boom")
			})
		}()
		check, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var n int
		if err := db.QueryRowContext(check, `SELECT COUNT(*) FROM loyalty_idempotency`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows after a panicking transaction = %d, %v; want 0 (an error here means the connection was left in the transaction)", n, err)
		}
	})
}
