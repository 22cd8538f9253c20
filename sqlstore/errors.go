package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/loyaltykit/loyalty"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Error mapping shared by the stores. Every message starts "sqlstore: <store>: ", store
// being "promo", "referral", "points" or "tier".

// dbError wraps err, an error of the database during op of the named store, keeping it in
// the chain (so that a transaction that failed on a transient conflict is still retried by
// inTx); a violated unique or check constraint (see constraintViolation) also matches
// loyalty.ErrConflict. It returns nil for a nil err.
func dbError(store, op string, err error) error {
	if err == nil {
		return nil
	}
	if constraintViolation(err) {
		return fmt.Errorf("sqlstore: %s: %s: %w: %w", store, op, loyalty.ErrConflict, err)
	}
	return fmt.Errorf("sqlstore: %s: %s: %w", store, op, err)
}

// constraintViolation reports whether err is a violated unique, primary key or check
// constraint, on PostgreSQL or SQLite.
func constraintViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505" || pg.Code == "23514" // unique_violation, check_violation
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return true
		}
	}
	return false
}

// refused wraps err, the reason why the named store refused what before running any
// statement (typically a loyalty.FieldError matching loyalty.ErrInvalid).
func refused(store, what string, err error) error {
	return fmt.Errorf("sqlstore: %s: %s refused: %w", store, what, err)
}

// rowsAffected returns the number of rows an ExecContext changed, passing its error on:
// rowsAffected(q.ExecContext(...)).
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// quote renders s for an error message: quoted, and cut after 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}
