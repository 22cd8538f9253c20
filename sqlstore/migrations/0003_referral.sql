-- Referrals (package referral, ReferralStore): referrer profiles, referrals, the index of
-- referee identifiers and idempotency receipts. Times are UTC microseconds since the Unix
-- epoch (the zero time of Go is stored as its own count, -62135596800000000, so that order
-- and comparisons match the in-memory store); money is an integer count of minor units
-- beside its currency code ('' and 0 for the zero amount); nested values that no query looks
-- into are JSON text. IDs, codes and keys are compared byte by byte.

-- One row per registered referrer, by referral.ReferrerID ("account:acme"). Codes are
-- canonical and unique. identity, recent and usage are JSON.
CREATE TABLE referral_profiles (
    id            TEXT   NOT NULL PRIMARY KEY,
    kind          TEXT   NOT NULL,
    account       TEXT   NOT NULL,
    buyer         TEXT   NOT NULL,
    partner       TEXT   NOT NULL,
    code          TEXT   NOT NULL UNIQUE,
    identity      TEXT   NOT NULL,
    registered_at BIGINT NOT NULL,
    recent        TEXT   NOT NULL,
    finalized     BIGINT NOT NULL,
    superseded    BIGINT NOT NULL,
    usage         TEXT   NOT NULL
);

-- One row per referee account: its current referral. referrer_id is the current referrer's
-- referral.ReferrerID; identity, previous and grants are JSON.
CREATE TABLE referral_referrals (
    referee             TEXT   NOT NULL PRIMARY KEY,
    referee_buyer       TEXT   NOT NULL,
    identity            TEXT   NOT NULL,
    referrer_id         TEXT   NOT NULL,
    referrer_kind       TEXT   NOT NULL,
    referrer_account    TEXT   NOT NULL,
    referrer_buyer      TEXT   NOT NULL,
    referrer_partner    TEXT   NOT NULL,
    code                TEXT   NOT NULL,
    status              TEXT   NOT NULL,
    attributed_at       BIGINT NOT NULL,
    first_attributed_at BIGINT NOT NULL,
    convert_by          BIGINT NOT NULL,
    previous            TEXT   NOT NULL,
    orders              BIGINT NOT NULL,
    order_id            TEXT   NOT NULL,
    event               TEXT   NOT NULL,
    amount_minor        BIGINT NOT NULL,
    amount_currency     TEXT   NOT NULL,
    returned_minor      BIGINT NOT NULL,
    returned_currency   TEXT   NOT NULL,
    converted_at        BIGINT NOT NULL,
    counted_at          BIGINT NOT NULL,
    final_at            BIGINT NOT NULL,
    cancelled_at        BIGINT NOT NULL,
    cancel_reason       TEXT   NOT NULL,
    grants              TEXT   NOT NULL,
    seq                 BIGINT NOT NULL
);

-- ReferralsBy: the referrals of one referrer in order of attribution.
CREATE INDEX referral_referrals_by_referrer ON referral_referrals (referrer_id, attributed_at, referee);

-- Due: the pending referrals in order of the end of their return window.
CREATE INDEX referral_referrals_due ON referral_referrals (final_at, referee) WHERE status = 'pending';

-- RefereeWith: the first referee stored with each identifier. Rows are never replaced or
-- removed.
CREATE TABLE referral_identifiers (
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    referee TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);

-- Idempotency receipts by key. result is the operation's first result as the service
-- encoded it (bytes, NULL for none).
CREATE TABLE referral_receipts (
    key         TEXT   NOT NULL PRIMARY KEY,
    op          TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    result      BYTEA,
    at          BIGINT NOT NULL
);

-- Never holds a row. On PostgreSQL every referral write transaction locks it (EXCLUSIVE
-- mode, which readers do not wait for) before its first read, so referral writers queue
-- instead of failing with serialization errors on the hot referrer profiles.
CREATE TABLE referral_write_lock (
    id INTEGER NOT NULL PRIMARY KEY
);
