-- Revocations of promo codes (package promo, PromoStore). A revoked code keeps its row in
-- promo_codes with the time (UTC microseconds) and the reason of its revocation; every
-- answer to a revocation request is kept under the request's idempotency key.

-- NULL while the code is not revoked.
ALTER TABLE promo_codes ADD COLUMN revoked_at BIGINT;
ALTER TABLE promo_codes ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

-- One row per promo.Revocation. revoked_at is when the code was revoked (by this request,
-- or by an earlier one when earlier is 1).
CREATE TABLE promo_revocations (
    key        TEXT    NOT NULL PRIMARY KEY,
    code       TEXT    NOT NULL,
    definition TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    revoked_at BIGINT  NOT NULL,
    earlier    INTEGER NOT NULL CHECK (earlier IN (0, 1))
);
