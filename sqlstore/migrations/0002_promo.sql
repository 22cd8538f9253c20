-- Promo codes (package promo, PromoStore): definitions, codes, usage counters, uses of codes
-- (reservations) and generated batches. Times are UTC microseconds since the Unix epoch;
-- money is an integer count of minor units beside its currency code; complex values are
-- JSON text.

-- One row per promo.Definition; body is the definition as JSON.
CREATE TABLE promo_definitions (
    id   TEXT NOT NULL PRIMARY KEY,
    body TEXT NOT NULL
);

-- One row per code, in canonical form. Empty strings stand for absent accounts; NULL times
-- for open window bounds and unknown issue times.
CREATE TABLE promo_codes (
    code        TEXT   NOT NULL PRIMARY KEY,
    definition  TEXT   NOT NULL,
    account     TEXT   NOT NULL,
    issued_to   TEXT   NOT NULL,
    valid_from  BIGINT,
    valid_until BIGINT,
    issued_at   BIGINT
);

-- Usage counters: the uses of a definition in total, of one code, by one account, in one
-- period, or by one account in one period (fields that do not apply are empty strings).
-- A count never goes below zero.
CREATE TABLE promo_usage (
    definition TEXT   NOT NULL,
    code       TEXT   NOT NULL,
    account    TEXT   NOT NULL,
    period     TEXT   NOT NULL,
    n          BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (definition, code, account, period)
);

-- One row per use of a code, by the caller's idempotency key. definition, code and
-- promotion, benefit (JSON), lines (JSON array of line indexes) and eligible_* are the
-- grant; counters (JSON array) are the usage counts the use holds. redeemed_at and ended_at
-- are NULL until they happen.
CREATE TABLE promo_reservations (
    key               TEXT   NOT NULL PRIMARY KEY,
    state             TEXT   NOT NULL,
    definition        TEXT   NOT NULL,
    code              TEXT   NOT NULL,
    promotion         TEXT   NOT NULL,
    benefit           TEXT   NOT NULL,
    lines             TEXT   NOT NULL,
    eligible_minor    BIGINT NOT NULL,
    eligible_currency TEXT   NOT NULL,
    account           TEXT   NOT NULL,
    order_id          TEXT   NOT NULL,
    counters          TEXT   NOT NULL,
    reserved_at       BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    redeemed_at       BIGINT,
    ended_at          BIGINT
);

-- The reservations still holding a use, by definition and expiry, for the expiry sweep.
CREATE INDEX promo_reservations_held ON promo_reservations (definition, expires_at) WHERE state = 'reserved';

-- Generated batches by idempotency key; codes and issued_to are JSON arrays of equal length.
CREATE TABLE promo_batches (
    key        TEXT NOT NULL PRIMARY KEY,
    definition TEXT NOT NULL,
    request    TEXT NOT NULL,
    codes      TEXT NOT NULL,
    issued_to  TEXT NOT NULL
);

-- Never holds a row. On PostgreSQL every promo write transaction locks it (EXCLUSIVE mode,
-- which readers do not wait for) before its first read, so promo writers queue instead of
-- failing with serialization errors on the hot usage counters.
CREATE TABLE promo_write_lock (
    id INTEGER NOT NULL PRIMARY KEY
);
