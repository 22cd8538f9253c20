-- Points ledger (package points, PointsStore): balance rows, lots, ledger entries and
-- purchases; idempotency records go to loyalty_idempotency (0001) under scope 'points'.
-- Times are UTC microseconds since the Unix epoch (the zero time of Go is stored as its own
-- count, -62135596800000000, where a column has no NULL for it); points and money minor
-- units are BIGINT, never floats; nested lists that no query looks into are JSON text ('' for
-- a nil list). Holders are (holder_kind, holder_id); strings are compared byte by byte.
--
-- IDs: BIGSERIAL makes PostgreSQL number lots and entries from a sequence; SQLite takes the
-- type name for a plain integer column and PointsStore numbers the rows itself (the largest
-- ID plus one, under SQLite's write lock).

-- One balance row per holder. next_due and cap_period are NULL for the zero time.
CREATE TABLE points_accounts (
    holder_kind TEXT   NOT NULL,
    holder_id   TEXT   NOT NULL,
    earned      BIGINT NOT NULL,
    active      BIGINT NOT NULL,
    pending     BIGINT NOT NULL,
    spent       BIGINT NOT NULL,
    expired     BIGINT NOT NULL,
    reversed    BIGINT NOT NULL,
    transferred BIGINT NOT NULL,
    debited     BIGINT NOT NULL,
    debt        BIGINT NOT NULL,
    next_due    BIGINT,
    cap_period  BIGINT,
    cap_earned  BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (holder_kind, holder_id)
);

-- Holders with due work (activations, expiries), soonest first.
CREATE INDEX points_accounts_due ON points_accounts (next_due) WHERE next_due IS NOT NULL;

-- One row per lot. expires is 9223372036854775807 for a lot that never expires, so that
-- the spend order (soonest expiry, never last; then oldest; then smallest ID) is the plain
-- order of (expires, earned_at, id). active_at is NULL for the zero time.
CREATE TABLE points_lots (
    id          BIGSERIAL PRIMARY KEY,
    holder_kind TEXT    NOT NULL,
    holder_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    issuer      TEXT    NOT NULL,
    earned_at   BIGINT  NOT NULL,
    active_at   BIGINT,
    expires     BIGINT  NOT NULL,
    pending     BOOLEAN NOT NULL,
    amount      BIGINT  NOT NULL,
    remaining   BIGINT  NOT NULL,
    spent       BIGINT  NOT NULL,
    expired     BIGINT  NOT NULL,
    reversed    BIGINT  NOT NULL,
    transferred BIGINT  NOT NULL,
    debited     BIGINT  NOT NULL
);

-- OpenLots: a holder's open lots in spend order; AllOpenLots: every open lot.
CREATE INDEX points_lots_open ON points_lots (holder_kind, holder_id, expires, earned_at, id) WHERE remaining > 0;

-- The ledger: one immutable row per entry. pos is the entry's position in its holder's
-- history (0 first). lots and lines are JSON arrays; value is minor units beside the
-- currency code ('' and 0 for the zero amount); counter is the other holder of a transfer.
CREATE TABLE points_entries (
    id             BIGSERIAL PRIMARY KEY,
    holder_kind    TEXT    NOT NULL,
    holder_id      TEXT    NOT NULL,
    pos            BIGINT  NOT NULL,
    kind           TEXT    NOT NULL,
    points         BIGINT  NOT NULL,
    at             BIGINT  NOT NULL,
    key            TEXT    NOT NULL,
    lots           TEXT    NOT NULL,
    order_id       TEXT    NOT NULL,
    event          TEXT    NOT NULL,
    lines          TEXT    NOT NULL,
    pending        BOOLEAN NOT NULL,
    issuer         TEXT    NOT NULL,
    acceptor       TEXT    NOT NULL,
    value_minor    BIGINT  NOT NULL,
    value_currency TEXT    NOT NULL,
    reward         TEXT    NOT NULL,
    capped         BIGINT  NOT NULL,
    debt           BIGINT  NOT NULL,
    forgiven       BIGINT  NOT NULL,
    reason         TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    counter_kind   TEXT    NOT NULL,
    counter_id     TEXT    NOT NULL
);

-- Entries: a holder's history by position.
CREATE UNIQUE INDEX points_entries_history ON points_entries (holder_kind, holder_id, pos);

-- EntriesBetween: entries by time (settlement, reports), read in pages.
CREATE INDEX points_entries_at ON points_entries (at, id);

-- One row per (holder, order): what the order did to the holder's points. lines and
-- redeemed are JSON arrays (quantities as exact decimal strings).
CREATE TABLE points_purchases (
    holder_kind TEXT   NOT NULL,
    holder_id   TEXT   NOT NULL,
    order_id    TEXT   NOT NULL,
    lines       TEXT   NOT NULL,
    earn_key    TEXT   NOT NULL,
    earn_lot    BIGINT NOT NULL,
    pay_key     TEXT   NOT NULL,
    issuer      TEXT   NOT NULL,
    acceptor    TEXT   NOT NULL,
    redeemed    TEXT   NOT NULL,
    restored    BIGINT NOT NULL,
    PRIMARY KEY (holder_kind, holder_id, order_id)
);
