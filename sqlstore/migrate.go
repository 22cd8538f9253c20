package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change, from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration file %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i := 1; i < len(list); i++ {
		if list[i].version == list[i-1].version {
			return nil, fmt.Errorf("sqlstore: two migrations are numbered %d", list[i].version)
		}
	}
	return list, nil
}

// Migrate brings the schema of db up to date by applying, in order of their numbers, every
// embedded migration it has not applied yet (numbers are unique but need not be contiguous,
// so that stores can be added independently), each in its own transaction together with its entry in the
// loyalty_schema_migrations table. It is idempotent and safe to run from several processes
// at once. It returns the schema version reached.
func Migrate(ctx context.Context, db DBTX, dialect Dialect) (int, error) {
	list, err := migrations()
	if err != nil {
		return 0, err
	}
	const create = `CREATE TABLE IF NOT EXISTS loyalty_schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL)`
	// Migrations run at READ COMMITTED on PostgreSQL, under an advisory lock: each statement
	// after the lock must see what the previous lock holder committed, which a serializable
	// snapshot (taken by the lock statement itself) would not.
	if err := inTxAt(ctx, db, dialect, sql.LevelReadCommitted, func(tx DBTX) error {
		if dialect == Postgres { // CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7310315)`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, create)
		return err
	}); err != nil {
		return 0, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	version := 0
	for _, m := range list {
		err := inTxAt(ctx, db, dialect, sql.LevelReadCommitted, func(tx DBTX) error {
			if dialect == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7310315)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM loyalty_schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO loyalty_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, nowMicros())
			return err
		})
		if err != nil {
			return version, fmt.Errorf("sqlstore: migration %d (%s): %w", m.version, m.name, err)
		}
		version = m.version
	}
	return version, nil
}

func nowMicros() int64 { return time.Now().UnixMicro() }
