// Package sqlstore keeps loyaltykit's state in a real database: PostgreSQL (through
// database/sql and the pgx driver) for applications that share state across processes and
// machines, and SQLite (through the pure-Go modernc.org/sqlite driver) for a single program
// that must survive restarts without a server.
//
// It is its own Go module so that database drivers never enter the core module.
//
// # Schema
//
// The schema is a list of numbered migrations embedded in the package and applied by
// [Migrate], which records each applied version in a table of its own. Migrate is safe to
// run twice and from several processes at once: on PostgreSQL the migrations run under a
// transaction-scoped advisory lock, on SQLite under the database's write lock.
//
// The SQL is kept portable (integers, text, no vendor types): money is stored as an integer
// count of minor units beside its currency code, never as a float; times are stored in UTC
// as integer microseconds since the Unix epoch and the program's time zone is applied in Go;
// idempotency keys are unique-indexed. The same statements run on PostgreSQL-compatible
// distributed SQL engines: the library keeps no state between calls that its correctness
// depends on (a [PointsStore] remembers the balance rows it wrote last only to skip reading
// them, and every write checks their versions), so any number of application instances
// can share one database.
//
// # Transactions
//
// Stores accept a [DBTX]: a *sql.DB, in which case every operation runs in its own
// transaction (serializable on PostgreSQL, an immediate write transaction on SQLite) and is
// retried transparently, with a bounded backoff, when the database reports a serialization
// failure, a deadlock or a busy database; or a *sql.Tx of the caller's, so that a shop can
// commit loyalty effects in the same transaction as its own order, in which case retrying
// is the caller's decision.
//
// [PointsStore] keeps postings serializable its own way on PostgreSQL, for speed: every
// balance row has a version that every change of the holder's rows increases; on a
// *sql.DB a posting first reads without a transaction and writes everything in one
// statement only if the versions it read are unchanged (an earning is one or two round
// trips: a store remembers the balance rows it wrote last and does not read them again),
// and otherwise, or on a caller's *sql.Tx, runs at READ COMMITTED locking the balance
// rows it reads. See [NewPointsStore].
//
// # Stores
//
// [PointsStore], [TierStore], [PromoStore], [ReferralStore] and [OrderStore] (the campaign
// engine's journal, orders, accounts and budgets) each pass their package's conformance
// suite on both databases. [CampaignStores] returns all five on one database, for
// campaign.New:
//
//	engine, err := campaign.New(prog, sqlstore.CampaignStores(db, sqlstore.Postgres), cfg)
package sqlstore
