package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database a store talks to.
type Dialect int

// The supported databases.
const (
	Postgres Dialect = iota + 1
	SQLite
)

// String returns "postgres" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// DBTX is what a store runs its statements on: a *sql.DB or a caller's *sql.Tx.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// OpenPostgres opens a PostgreSQL database through the pgx driver, with a DSN such as
// "postgres://user@127.0.0.1:5432/loyalty?sslmode=disable".
func OpenPostgres(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	return db, nil
}

// OpenSQLite opens (creating if needed) the SQLite database file at path, in WAL mode with
// a busy timeout, foreign keys on, and write transactions that take the write lock when
// they begin, so that concurrent writers queue instead of failing half-way.
func OpenSQLite(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	return db, nil
}

// maxAttempts bounds the transparent retries of a transaction.
const maxAttempts = 10

// retryable reports whether err is a transient conflict that a fresh attempt of the whole
// transaction may not meet: a PostgreSQL serialization failure or deadlock, or a busy or
// locked SQLite database.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}

// inTx runs fn in a transaction on db. On a *sql.DB it begins a serializable transaction
// (PostgreSQL) or an immediate one (SQLite), commits if fn succeeds, rolls back otherwise,
// and re-runs the whole transaction on a transient conflict, up to maxAttempts times with a
// jittered exponential backoff. On a caller's *sql.Tx it runs fn on that transaction once.
func inTx(ctx context.Context, db DBTX, dialect Dialect, fn func(tx DBTX) error) error {
	return inTxAt(ctx, db, dialect, sql.LevelSerializable, fn)
}

// inTxAt is inTx with the isolation level to use on PostgreSQL (SQLite transactions are
// always serializable).
func inTxAt(ctx context.Context, db DBTX, dialect Dialect, level sql.IsolationLevel, fn func(tx DBTX) error) error {
	opts := &sql.TxOptions{}
	if dialect == Postgres {
		opts.Isolation = level
	}
	return retryTx(ctx, db, opts, fn)
}

// inReadTx runs fn in a read-only transaction that sees one consistent snapshot (repeatable
// read on PostgreSQL), with the retries of inTx; on a caller's *sql.Tx it runs fn once.
func inReadTx(ctx context.Context, db DBTX, dialect Dialect, fn func(tx DBTX) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return retryTx(ctx, db, opts, fn)
}

// retryTx is the one transaction runner behind inTx, inTxAt and inReadTx.
func retryTx(ctx context.Context, db DBTX, opts *sql.TxOptions, fn func(tx DBTX) error) error {
	if err := ctx.Err(); err != nil {
		return err // a cancelled operation runs nothing, as with the in-memory stores
	}
	sqlDB, ok := db.(*sql.DB)
	if !ok {
		return fn(db)
	}
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := runOnce(ctx, sqlDB, opts, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			if err != nil && retryable(err) {
				return fmt.Errorf("sqlstore: gave up after %d attempts: %w", attempt, err)
			}
			return err
		}
		sleep := backoff + rand.N(backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, 100*time.Millisecond)
	}
}

// runOnce runs fn in one transaction: committed if fn succeeds, rolled back if it fails or
// panics (the panic goes on after the rollback, so no connection is left holding locks).
func runOnce(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(tx DBTX) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return tx.Commit()
}
