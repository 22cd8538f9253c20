-- Tiered programs (package tier, TierStore): accounts with their status and day totals of
-- qualifying activity, the change log of each account, idempotency receipts and the time of
-- the last batch review.
--
-- Times are UTC microseconds since the Unix epoch (Go's zero time is stored as its own
-- count, -62135596800000000); the nanoseconds below the microsecond, which Go times carry
-- and the in-memory store keeps, are in the nanos / at_nanos columns, so that every time
-- reads back as the same instant. Money is an integer count of minor units beside its
-- currency code ('' and 0 for the zero amount); volumes are integer millionths of a unit.
-- Account IDs are bytes (BYTEA, a BLOB on SQLite): both databases then order them byte by
-- byte, as Go compares strings, with the primary key index, whatever the database's
-- collation; they hold the UTF-8 text of the ID.

-- One row per account. The status's grace, override and membership are NULL when the
-- account has none. nanos is '' when every time of the row is a whole microsecond, else the
-- sub-microsecond nanoseconds of since, reviewed, grace_until, override_from,
-- override_until, membership_from, membership_until and enrolled, comma-separated. history
-- is the day totals as a JSON array of [day, units] pairs, in increasing order of day (days
-- since 1970-01-01).
CREATE TABLE tier_accounts (
    id                      BYTEA  NOT NULL PRIMARY KEY,
    enrolled                BIGINT NOT NULL,
    level                   BIGINT NOT NULL,
    since                   BIGINT NOT NULL,
    reviewed                BIGINT NOT NULL,
    grace_until             BIGINT,
    grace_to                BIGINT,
    override_level          BIGINT,
    override_from           BIGINT,
    override_until          BIGINT,
    override_reason         TEXT,
    membership_level        BIGINT,
    membership_from         BIGINT,
    membership_until        BIGINT,
    membership_fee_minor    BIGINT,
    membership_fee_currency TEXT,
    nanos                   TEXT   NOT NULL,
    history                 TEXT   NOT NULL
);

-- The change log: the events of each account, numbered from 1 in the order they were
-- appended. An account may have changes without having a row in tier_accounts.
CREATE TABLE tier_changes (
    account                    BYTEA  NOT NULL,
    seq                        BIGINT NOT NULL,
    at                         BIGINT NOT NULL,
    at_nanos                   BIGINT NOT NULL,
    kind                       TEXT   NOT NULL,
    from_level                 BIGINT NOT NULL,
    to_level                   BIGINT NOT NULL,
    earned                     BIGINT NOT NULL,
    qualifying_spend_minor     BIGINT NOT NULL,
    qualifying_spend_currency  TEXT   NOT NULL,
    qualifying_volume_micros   BIGINT NOT NULL,
    qualifying_count           BIGINT NOT NULL,
    PRIMARY KEY (account, seq)
);

-- Idempotency receipts by key: the request's payload and the first result, a status stored
-- as in tier_accounts (nanos has the same layout, its enrolled entry always 0).
CREATE TABLE tier_receipts (
    key                     TEXT   NOT NULL PRIMARY KEY,
    payload                 TEXT   NOT NULL,
    account                 TEXT   NOT NULL,
    level                   BIGINT NOT NULL,
    since                   BIGINT NOT NULL,
    reviewed                BIGINT NOT NULL,
    grace_until             BIGINT,
    grace_to                BIGINT,
    override_level          BIGINT,
    override_from           BIGINT,
    override_until          BIGINT,
    override_reason         TEXT,
    membership_level        BIGINT,
    membership_from         BIGINT,
    membership_until        BIGINT,
    membership_fee_minor    BIGINT,
    membership_fee_currency TEXT,
    nanos                   TEXT   NOT NULL
);

-- Named instants of the program; 'last-batch-review' is the time of the last completed
-- batch review (no row: the zero time).
CREATE TABLE tier_state (
    name     TEXT   NOT NULL PRIMARY KEY,
    at       BIGINT NOT NULL,
    at_nanos BIGINT NOT NULL
);

-- Never holds a row. On PostgreSQL every tier write transaction locks it (EXCLUSIVE mode,
-- which readers do not wait for) before its first read, so tier writers queue instead of
-- failing with serialization errors on hot accounts and under batch reviews.
CREATE TABLE tier_write_lock (
    id INTEGER NOT NULL PRIMARY KEY
);
