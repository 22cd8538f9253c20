-- The campaign engine's own state (package campaign, OrderStore): the journal of commits
-- and returns, the orders claimed by commits, the purchase records of accounts, campaign
-- budget counters and the budget changes by idempotency key.
--
-- Journal records, orders and budget uses are JSON documents (they hold whole quotes and
-- receipts, which no query looks into) beside the columns a query or an operator reads;
-- every time in them is written in UTC, to the nanosecond. Columns holding times are UTC
-- microseconds since the Unix epoch. Money is an integer count of minor units beside its
-- currency code ('' and 0 for the zero amount), never a float. Account IDs of
-- campaign_accounts are bytes (BYTEA, a BLOB on SQLite), so that both databases order them
-- byte by byte, as Go compares strings, whatever the collation; they hold the UTF-8 text of
-- the ID.

-- One journal record per commit key; record is the whole CommitRecord (quote and receipt
-- included).
CREATE TABLE campaign_commits (
    key      TEXT   NOT NULL PRIMARY KEY,
    order_id TEXT   NOT NULL,
    account  TEXT   NOT NULL,
    state    TEXT   NOT NULL,
    attempt  BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    record   TEXT   NOT NULL
);

-- One record per order claimed by a commit key; record is the whole OrderRecord (what has
-- been returned from the order included).
CREATE TABLE campaign_orders (
    id        TEXT    NOT NULL PRIMARY KEY,
    account   TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    committed BOOLEAN NOT NULL,
    record    TEXT    NOT NULL
);

-- One purchase record per account, read by Accounts in pages in the order of id; record
-- is the whole AccountRecord (its purchase history included), orders and since (NULL
-- before the first order) are copies of two of its fields.
CREATE TABLE campaign_accounts (
    id     BYTEA  NOT NULL PRIMARY KEY,
    orders BIGINT NOT NULL,
    since  BIGINT,
    record TEXT   NOT NULL
);

-- One journal record per return key; record is the whole ReturnRecord.
CREATE TABLE campaign_returns (
    key      TEXT   NOT NULL PRIMARY KEY,
    order_id TEXT   NOT NULL,
    state    TEXT   NOT NULL,
    at       BIGINT NOT NULL,
    record   TEXT   NOT NULL
);

-- Budget counters: a campaign's total (account '') and each account's share.
CREATE TABLE campaign_budgets (
    campaign       TEXT   NOT NULL,
    account        TEXT   NOT NULL,
    uses           BIGINT NOT NULL,
    spent_minor    BIGINT NOT NULL,
    spent_currency TEXT   NOT NULL,
    PRIMARY KEY (campaign, account)
);

-- One record per change of budget counters, by its idempotency key; record is the whole
-- BudgetUse.
CREATE TABLE campaign_budget_uses (
    key      TEXT   NOT NULL PRIMARY KEY,
    order_id TEXT   NOT NULL,
    account  TEXT   NOT NULL,
    at       BIGINT NOT NULL,
    record   TEXT   NOT NULL
);

-- Never holds a row. On PostgreSQL every campaign write transaction locks it (EXCLUSIVE
-- mode, which readers do not wait for) before its first read, so campaign writers queue
-- instead of failing with serialization errors on the hot budget counters and journal.
CREATE TABLE campaign_write_lock (
    id INTEGER NOT NULL PRIMARY KEY
);
