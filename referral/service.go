package referral

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/loyaltykit/loyalty"
)

// Config configures a [Service]. Zero fields mean the documented defaults.
// A Config is a plain value, safe for concurrent use when not modified.
type Config struct {
	// Rules is the referral program. It is validated by [New].
	Rules Rules
	// Store keeps the state. Required; [NewMemoryStore] is the embedded default.
	Store Store
	// Clock tells the time of attributions, of reward issuance (caps) and of settlement.
	// Defaults to the system clock.
	Clock loyalty.Clock
	// Random is the source of randomness for generated codes. Defaults to crypto/rand.
	Random io.Reader
}

// Service runs a referral program over a [Store]: it registers referrers and their codes,
// attributes referees, records orders, custom events and returns, settles conversions whose
// return window has closed, and reports. Every mutation runs in one store transaction and
// every event is idempotent by its key. A Service is safe for concurrent use.
type Service struct {
	rules Rules
	store Store
	clock loyalty.Clock
	rand  io.Reader
}

// New returns a Service for c, or the validation errors of c.Rules.
func New(c Config) (*Service, error) {
	if err := c.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("referral: rules: %w", err)
	}
	if c.Store == nil {
		return nil, loyalty.Invalid("store", nil, "is required")
	}
	s := &Service{rules: c.Rules.withDefaults(), store: c.Store, clock: c.Clock, rand: c.Random}
	if s.clock == nil {
		s.clock = loyalty.SystemClock()
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s, nil
}

// Rules returns the service's rules with defaults filled in.
func (s *Service) Rules() Rules { return s.rules }

func (s *Service) now() time.Time { return s.clock.Now().In(s.rules.Location) }

func (s *Service) addDays(t time.Time, n int) time.Time {
	return t.In(s.rules.Location).AddDate(0, 0, n)
}

// Registration asks for a referrer's code. Identity is what the caller knows of the
// referrer's contacts and tax identifiers, compared with referees' to refuse self-referrals.
// Code optionally asks for a chosen ("vanity") code instead of a generated one.
// A Registration is a plain value, safe for concurrent use when not modified.
type Registration struct {
	Referrer Referrer `json:"referrer"`
	Identity Identity `json:"identity"`
	Code     string   `json:"code,omitempty"`
}

// Register returns the referrer's profile with its stable, shareable code, registering the
// referrer on first call. Codes are generated with the service's Random source
// (crypto/rand by default) from [CodeAlphabet], never collide with a stored code, and never
// change: registering again returns the same code, adding any new identifiers to the
// profile. A requested Code held by another referrer, or different from the referrer's
// existing code, fails with [ErrCodeTaken].
func (s *Service) Register(ctx context.Context, reg Registration) (Profile, error) {
	if err := reg.Referrer.Validate(); err != nil {
		return Profile{}, fmt.Errorf("referral: register: %w", loyalty.InField("referrer", err))
	}
	want := ""
	if reg.Code != "" {
		c, err := NormalizeCode(reg.Code)
		if err != nil {
			return Profile{}, fmt.Errorf("referral: register: %w", err)
		}
		want = c
	}
	id := reg.Referrer.ID()
	ident := reg.Identity.normalized()
	now := s.now()
	var out Profile
	err := s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Profile(id)
		switch {
		case err == nil:
			if p.Referrer != reg.Referrer {
				return fmt.Errorf("referral: register: %s is registered as %s: %w", id, p.Referrer, loyalty.ErrConflict)
			}
			if want != "" && want != p.Code {
				return fmt.Errorf("%w: %s holds code %s, not %s", ErrCodeTaken, p.Referrer, p.Code, want)
			}
			merged := p.Identity.merge(ident)
			if !sameIdentity(merged, p.Identity) {
				p.Identity = merged
				if err := tx.PutProfile(p); err != nil {
					return err
				}
			}
			out = p
			return nil
		case !errors.Is(err, loyalty.ErrNotFound):
			return err
		}
		code := want
		if code != "" {
			if holder, err := tx.ProfileByCode(code); err == nil {
				return fmt.Errorf("%w: %s is held by %s", ErrCodeTaken, code, holder.Referrer)
			} else if !errors.Is(err, loyalty.ErrNotFound) {
				return err
			}
		} else if code, err = s.freshCode(tx); err != nil {
			return err
		}
		out = Profile{Referrer: reg.Referrer, Code: code, Identity: ident, RegisteredAt: now}
		return tx.PutProfile(out)
	})
	if err != nil {
		return Profile{}, err
	}
	return out, nil
}

func (s *Service) freshCode(tx ReadTx) (string, error) {
	for range maxCodeAttempts {
		code, err := generateCode(s.rand, s.rules.CodeLength)
		if err != nil {
			return "", err
		}
		_, err = tx.ProfileByCode(code)
		if errors.Is(err, loyalty.ErrNotFound) {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("referral: no free code after %d attempts; use longer codes: %w", maxCodeAttempts, loyalty.ErrConflict)
}

func sameIdentity(a, b Identity) bool {
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eq(a.Emails, b.Emails) && eq(a.Phones, b.Phones) && eq(a.TaxIDs, b.TaxIDs)
}

// Lookup returns the referrer holding code, as typed by a person. An unknown code fails with
// [ErrUnknownCode]; text that cannot be a code fails with a [*loyalty.FieldError].
func (s *Service) Lookup(ctx context.Context, code string) (Profile, error) {
	c, err := NormalizeCode(code)
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	err = s.store.View(ctx, func(tx ReadTx) error {
		p, err = profileByCode(tx, c)
		return err
	})
	return p, err
}

// Profile returns the registered referrer r, or [ErrUnknownReferrer].
func (s *Service) Profile(ctx context.Context, r Referrer) (Profile, error) {
	var p Profile
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		p, err = tx.Profile(r.ID())
		if errors.Is(err, loyalty.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrUnknownReferrer, r)
		}
		return err
	})
	return p, err
}

func profileByCode(tx ReadTx, code string) (Profile, error) {
	p, err := tx.ProfileByCode(code)
	if errors.Is(err, loyalty.ErrNotFound) {
		return Profile{}, fmt.Errorf("%w: %s", ErrUnknownCode, code)
	}
	return p, err
}

// Referral returns the current referral of the referee account, or [ErrUnknownReferee].
func (s *Service) Referral(ctx context.Context, referee loyalty.AccountID) (Referral, error) {
	var r Referral
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		r, err = referralOf(tx, referee)
		return err
	})
	return r, err
}

func referralOf(tx ReadTx, referee loyalty.AccountID) (Referral, error) {
	r, err := tx.Referral(referee)
	if errors.Is(err, loyalty.ErrNotFound) {
		return Referral{}, fmt.Errorf("%w: %s", ErrUnknownReferee, referee)
	}
	return r, err
}

// idempotency: every event runs under a key; the first result is stored in a receipt in the
// same transaction and returned again, marked as replayed, on a retry with the same payload.

func fingerprint(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("referral: encoding the request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// replay reports whether key already has a receipt; if so it decodes the first result into
// out. A receipt for another operation or payload is an [ErrKeyReused] error.
func replay(tx ReadTx, key loyalty.IdempotencyKey, op, fp string, out any) (bool, error) {
	r, err := tx.Receipt(key)
	if errors.Is(err, loyalty.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.Op != op || r.Fingerprint != fp {
		return false, fmt.Errorf("%w: key %q was first used for a different %s", ErrKeyReused, key, r.Op)
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return false, fmt.Errorf("referral: decoding the receipt of %q: %w", key, err)
	}
	return true, nil
}

func saveReceipt(tx Tx, key loyalty.IdempotencyKey, op, fp string, result any, now time.Time) error {
	b, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("referral: encoding the result: %w", err)
	}
	return tx.PutReceipt(Receipt{Key: key, Op: op, Fingerprint: fp, Result: b, At: now})
}
