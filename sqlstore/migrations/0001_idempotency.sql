-- Idempotency records shared by every store: one row per (scope, key). A retried operation
-- finds its row and returns the stored result; the same key with another payload is a
-- conflict. scope names the store and operation kind ("points", "promo.redeem", ...).
CREATE TABLE loyalty_idempotency (
    scope        TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    payload_hash TEXT   NOT NULL,
    result       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
