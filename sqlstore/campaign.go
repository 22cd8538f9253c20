package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
)

// OrderStore is the SQL [campaign.OrderStore]: the campaign engine's journal of commits and
// returns, the orders claimed by commits, the purchase records of accounts, campaign
// budget counters and budget uses, in the tables of migration 0006_campaign (apply it with
// [Migrate]). Journal records, orders, accounts and budget uses are kept as JSON documents
// beside the columns an operator reads; budget counters are plain columns (uses, and money
// as integer minor units beside the currency code).
//
// Update runs its function in one transaction (see [NewOrderStore]) and re-runs it on a
// transient conflict; View runs its function in a read-only transaction on one snapshot
// (repeatable read on PostgreSQL, a deferred read transaction on SQLite) and never waits
// for writers. Campaign write transactions are serialised: on SQLite by the database's
// write lock, on PostgreSQL by a lock on the campaign_write_lock table taken before the
// transaction's first read, so that its snapshot already includes the previous writer's
// commit. That is what keeps budgets exact across processes and machines: the engine reads
// a campaign's counters, checks them against the budget and writes them back in one Update,
// and no two such Updates overlap, so none is lost and none fails with a serialization
// error on the hot counters (which, under plain serializable isolation, every concurrent
// commit of a budgeted campaign would meet). The campaign transactions are short — a few
// reads and writes of single rows; the points, tier, promo and referral steps of a commit
// run in their stores' own transactions — so queueing them costs little.
//
// Strings are stored as they are: SQL metacharacters are harmless (every statement is
// parameterised). Commit and return keys, order IDs, account IDs, campaign IDs and budget
// use keys are limited to [MaxCampaignKeyBytes] bytes, and every string must be valid
// UTF-8 (PostgreSQL cannot store anything else, and JSON would silently replace it); keys
// must not contain NUL bytes: a write that breaks these rules is refused with an error
// wrapping [loyalty.ErrInvalid], naming the field, and changes nothing; a read of such a key
// finds nothing. Times are stored in UTC, to the nanosecond, between the years 1 and 9999
// (a time outside is refused); they read back in UTC.
//
// An OrderStore is safe for concurrent use when its DBTX is a *sql.DB.
type OrderStore struct {
	db      DBTX
	dialect Dialect
}

// MaxCampaignKeyBytes is the longest key, order ID, account ID or campaign ID an
// [OrderStore] accepts, in bytes: they make primary keys, which must fit in one PostgreSQL
// index entry. It is the limit of the points and tier stores, so that an account that fits
// one fits the others.
const MaxCampaignKeyBytes = 512

// NewOrderStore returns an OrderStore running its statements on db, a database of dialect
// with migration 0006_campaign applied.
//
// With a *sql.DB every Update is its own transaction: serializable on PostgreSQL, after
// taking the campaign write lock; an immediate write transaction on SQLite; retried
// transparently with a bounded backoff on a serialization failure, deadlock or busy
// database. With a caller's *sql.Tx, Update and View run on that transaction once; on
// PostgreSQL Update still takes the campaign write lock, so the caller's transaction may
// use any isolation level (under READ COMMITTED every statement after the lock sees the
// last writer's commit), but a serializable transaction that read before its first
// campaign Update may fail with a serialization error, which the caller must retry. db
// must be a *sql.DB or a *sql.Tx.
func NewOrderStore(db DBTX, dialect Dialect) *OrderStore {
	return &OrderStore{db: db, dialect: dialect}
}

// CampaignStores returns the SQL stores of every state a [campaign.Engine] keeps, all on
// db, a database of dialect with every migration applied ([Migrate]):
//
//	campaign.New(prog, sqlstore.CampaignStores(db, sqlstore.Postgres), cfg)
func CampaignStores(db DBTX, dialect Dialect) campaign.Stores {
	return campaign.Stores{
		Points:    NewPointsStore(db, dialect),
		Tiers:     NewTierStore(db, dialect),
		Codes:     NewPromoStore(db, dialect),
		Referrals: NewReferralStore(db, dialect),
		Orders:    NewOrderStore(db, dialect),
	}
}

// Update implements [campaign.OrderStore]. If fn panics, the transaction is rolled back
// before the panic goes on (see runOnce).
func (s *OrderStore) Update(ctx context.Context, fn func(tx campaign.OrderTx) error) error {
	return inTx(ctx, s.db, s.dialect, func(q DBTX) error {
		if s.dialect == Postgres {
			// A utility statement without parameters: it takes no snapshot, so the
			// transaction's snapshot is taken by the first read, after the lock.
			if _, err := q.ExecContext(ctx, `LOCK TABLE campaign_write_lock IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("sqlstore: campaign: lock: %w", err)
			}
		}
		return fn(orderTx{orderReadTx{ctx: ctx, q: q}})
	})
}

// View implements [campaign.OrderStore].
func (s *OrderStore) View(ctx context.Context, fn func(tx campaign.OrderReadTx) error) error {
	return inReadTx(ctx, s.db, s.dialect, func(q DBTX) error { return fn(orderReadTx{ctx: ctx, q: q}) })
}

// orderReadTx implements campaign.OrderReadTx on one transaction; it has no write methods,
// so that View hands out a value that cannot write.
type orderReadTx struct {
	ctx context.Context
	q   DBTX
}

// orderTx implements campaign.OrderTx on one transaction.
type orderTx struct{ orderReadTx }

func campaignNotFound(what, id string) error {
	return fmt.Errorf("sqlstore: campaign: %s %s: %w", what, quote(id), loyalty.ErrNotFound)
}

// campaignCheck checks the strings and times of the records the store writes as JSON:
// valid UTF-8 (a NUL byte is escaped by JSON, and kept) and times in the years 1 to 9999.
var campaignCheck = valueCheck{text: checkJSONText, times: true}

// readRecord reads the JSON document the query selects by key into v; what and key name
// the record in errors.
func (t orderReadTx) readRecord(query, what, key string, v any) error {
	if !storableKey(key, MaxCampaignKeyBytes) {
		return campaignNotFound(what, key)
	}
	var doc string
	err := t.q.QueryRowContext(t.ctx, query, key).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return campaignNotFound(what, key)
	} else if err != nil {
		return dbError("campaign", "read "+what+" "+quote(key), err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("sqlstore: campaign: %s %s: stored JSON: %w", what, quote(key), err)
	}
	return nil
}

// campaignDoc checks a record about to be written under key (named field in errors) and
// returns it as a JSON document with its times in UTC; what names the write in errors.
func campaignDoc[T any](what, field, key string, v T) (string, error) {
	if key == "" {
		return "", refused("campaign", what, loyalty.Invalid(field, nil, "has no key"))
	}
	if err := errors.Join(checkKey(field, key, MaxCampaignKeyBytes), campaignCheck.check("", reflect.ValueOf(v))); err != nil {
		return "", refused("campaign", what+" "+quote(key), err)
	}
	b, err := json.Marshal(utcTimes(v))
	if err != nil {
		return "", refused("campaign", what+" "+quote(key), loyalty.Invalid(field, nil, "cannot be stored: "+err.Error()))
	}
	return string(b), nil
}

func (t orderReadTx) Commit(key loyalty.IdempotencyKey) (campaign.CommitRecord, error) {
	var r campaign.CommitRecord
	err := t.readRecord(`SELECT record FROM campaign_commits WHERE key = $1`, "commit", string(key), &r)
	return r, err
}

func (t orderReadTx) Order(id loyalty.OrderID) (campaign.OrderRecord, error) {
	var r campaign.OrderRecord
	err := t.readRecord(`SELECT record FROM campaign_orders WHERE id = $1`, "order", string(id), &r)
	return r, err
}

func (t orderReadTx) Account(id loyalty.AccountID) (campaign.AccountRecord, error) {
	if !storableKey(string(id), MaxCampaignKeyBytes) {
		return campaign.AccountRecord{}, campaignNotFound("account", string(id))
	}
	var doc string
	err := t.q.QueryRowContext(t.ctx, `SELECT record FROM campaign_accounts WHERE id = $1`, []byte(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return campaign.AccountRecord{}, campaignNotFound("account", string(id))
	} else if err != nil {
		return campaign.AccountRecord{}, dbError("campaign", "read account "+quote(string(id)), err)
	}
	return campaignAccount(doc)
}

// campaignAccount decodes a stored account record.
func campaignAccount(doc string) (campaign.AccountRecord, error) {
	var r campaign.AccountRecord
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return r, fmt.Errorf("sqlstore: campaign: account: stored JSON: %w", err)
	}
	return r, nil
}

func (t orderReadTx) Accounts(after loyalty.AccountID, limit int) ([]campaign.AccountRecord, error) {
	if limit <= 0 {
		return nil, refused("campaign", "accounts", loyalty.Invalid("limit", limit, "must be positive"))
	}
	// IDs are bytes: both databases order them byte by byte, as Go compares strings.
	rows, err := t.q.QueryContext(t.ctx, `SELECT record FROM campaign_accounts WHERE id > $1 ORDER BY id LIMIT $2`,
		[]byte(after), int64(limit))
	if err != nil {
		return nil, dbError("campaign", "read accounts", err)
	}
	defer rows.Close()
	var out []campaign.AccountRecord
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, dbError("campaign", "read accounts", err)
		}
		r, err := campaignAccount(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("campaign", "read accounts", err)
	}
	return out, nil
}

func (t orderReadTx) Return(key loyalty.IdempotencyKey) (campaign.ReturnRecord, error) {
	var r campaign.ReturnRecord
	err := t.readRecord(`SELECT record FROM campaign_returns WHERE key = $1`, "return", string(key), &r)
	return r, err
}

func (t orderReadTx) Budget(id loyalty.CampaignID, account loyalty.AccountID) (campaign.BudgetRecord, error) {
	what := "budget of " + quote(string(id)) + " " + quote(string(account))
	if !storableKey(string(id), MaxCampaignKeyBytes) || !storableKey(string(account), MaxCampaignKeyBytes) {
		return campaign.BudgetRecord{}, fmt.Errorf("sqlstore: campaign: %s: %w", what, loyalty.ErrNotFound)
	}
	r := campaign.BudgetRecord{Campaign: id, Account: account}
	var minor int64
	var currency string
	err := t.q.QueryRowContext(t.ctx, `SELECT uses, spent_minor, spent_currency FROM campaign_budgets
		WHERE campaign = $1 AND account = $2`, string(id), string(account)).Scan(&r.Uses, &minor, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return campaign.BudgetRecord{}, fmt.Errorf("sqlstore: campaign: %s: %w", what, loyalty.ErrNotFound)
	} else if err != nil {
		return campaign.BudgetRecord{}, dbError("campaign", "read "+what, err)
	}
	if r.Spent, err = money(minor, currency); err != nil {
		return campaign.BudgetRecord{}, fmt.Errorf("sqlstore: campaign: %s: stored amount: %w", what, err)
	}
	return r, nil
}

func (t orderReadTx) BudgetUse(key loyalty.IdempotencyKey) (campaign.BudgetUse, error) {
	var u campaign.BudgetUse
	if err := t.readRecord(`SELECT record FROM campaign_budget_uses WHERE key = $1`, "budget use", string(key), &u); err != nil {
		return campaign.BudgetUse{}, err
	}
	if len(u.Items) == 0 {
		u.Items = nil // as the in-memory store keeps an empty list
	}
	return u, nil
}

func (t orderTx) PutCommit(r campaign.CommitRecord) error {
	doc, err := campaignDoc("put commit", "key", string(r.Key), r)
	if err != nil {
		return err
	}
	if err := errors.Join(checkText("order", string(r.Order)), checkText("account", string(r.Account))); err != nil {
		return refused("campaign", "put commit "+quote(string(r.Key)), err)
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO campaign_commits (key, order_id, account, state, attempt, at, record)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO UPDATE SET order_id = excluded.order_id, account = excluded.account, state = excluded.state,
			attempt = excluded.attempt, at = excluded.at, record = excluded.record`,
		string(r.Key), string(r.Order), string(r.Account), string(r.State), int64(r.Attempt), micros(r.At), doc)
	return dbError("campaign", "put commit "+quote(string(r.Key)), err)
}

func (t orderTx) PutOrder(r campaign.OrderRecord) error {
	doc, err := campaignDoc("put order", "order", string(r.ID), r)
	if err != nil {
		return err
	}
	if err := errors.Join(checkText("account", string(r.Account)), checkText("key", string(r.Key))); err != nil {
		return refused("campaign", "put order "+quote(string(r.ID)), err)
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO campaign_orders (id, account, key, committed, record)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET account = excluded.account, key = excluded.key, committed = excluded.committed,
			record = excluded.record`,
		string(r.ID), string(r.Account), string(r.Key), r.Committed, doc)
	return dbError("campaign", "put order "+quote(string(r.ID)), err)
}

func (t orderTx) PutAccount(r campaign.AccountRecord) error {
	doc, err := campaignDoc("put account", "account", string(r.Account), r)
	if err != nil {
		return err
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO campaign_accounts (id, orders, since, record) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET orders = excluded.orders, since = excluded.since, record = excluded.record`,
		[]byte(r.Account), int64(r.Orders), nullMicros(r.Since), doc)
	return dbError("campaign", "put account "+quote(string(r.Account)), err)
}

func (t orderTx) PutReturn(r campaign.ReturnRecord) error {
	doc, err := campaignDoc("put return", "key", string(r.Key), r)
	if err != nil {
		return err
	}
	if err := checkText("order", string(r.Order)); err != nil {
		return refused("campaign", "put return "+quote(string(r.Key)), err)
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO campaign_returns (key, order_id, state, at, record) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET order_id = excluded.order_id, state = excluded.state, at = excluded.at,
			record = excluded.record`,
		string(r.Key), string(r.Order), string(r.State), micros(r.At), doc)
	return dbError("campaign", "put return "+quote(string(r.Key)), err)
}

func (t orderTx) PutBudget(r campaign.BudgetRecord) error {
	what := "put budget of " + quote(string(r.Campaign)) + " " + quote(string(r.Account))
	if r.Campaign == "" {
		return refused("campaign", what, loyalty.Invalid("campaign", nil, "has no campaign"))
	}
	if err := errors.Join(checkKey("campaign", string(r.Campaign), MaxCampaignKeyBytes),
		checkKey("account", string(r.Account), MaxCampaignKeyBytes)); err != nil {
		return refused("campaign", what, err)
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO campaign_budgets (campaign, account, uses, spent_minor, spent_currency)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (campaign, account) DO UPDATE SET uses = excluded.uses, spent_minor = excluded.spent_minor,
			spent_currency = excluded.spent_currency`,
		string(r.Campaign), string(r.Account), r.Uses, r.Spent.MinorUnits(), r.Spent.Currency().Code())
	return dbError("campaign", what, err)
}

func (t orderTx) PutBudgetUse(u campaign.BudgetUse) error {
	doc, err := campaignDoc("put budget use", "key", string(u.Key), u)
	if err != nil {
		return err
	}
	if err := errors.Join(checkText("order", string(u.Order)), checkText("account", string(u.Account))); err != nil {
		return refused("campaign", "put budget use "+quote(string(u.Key)), err)
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO campaign_budget_uses (key, order_id, account, at, record) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET order_id = excluded.order_id, account = excluded.account, at = excluded.at,
			record = excluded.record`,
		string(u.Key), string(u.Order), string(u.Account), micros(u.At), doc)
	return dbError("campaign", "put budget use "+quote(string(u.Key)), err)
}
