package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/sqlstore"
)

// openDB opens the SQLite file at path, or a new one in a temporary directory (removed by
// cleanup) when path is empty, and brings its schema up to date. It returns how to name the
// database in the report.
func openDB(path string) (db *sql.DB, where string, cleanup func(), err error) {
	cleanup = func() {}
	where = path
	if path == "" {
		dir, err := os.MkdirTemp("", "loyaltykit-erp-")
		if err != nil {
			return nil, "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		path, where = filepath.Join(dir, "erp.db"), "a new temporary SQLite file (-db keeps one)"
	}
	db, err = sqlstore.OpenSQLite(path)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	done := cleanup
	cleanup = func() { db.Close(); done() }
	if _, err := sqlstore.Migrate(context.Background(), db, sqlstore.SQLite); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("database %s: %w", where, err)
	}
	return db, where, cleanup, nil
}

// openStores returns the engine's stores over db, every one of them in the SQLite file.
func openStores(db *sql.DB) campaign.Stores {
	return sqlstore.CampaignStores(db, sqlstore.SQLite)
}
