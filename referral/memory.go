package referral

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/internal/memtx"
)

// MemoryStore is the in-memory [Store], built on one serializable transaction mechanism: a
// failed Update leaves it exactly as it was. It copies values in and out. It is safe for
// concurrent use.
type MemoryStore struct {
	db        memtx.DB
	profiles  memtx.Table[ReferrerID, Profile]
	codes     memtx.Table[string, ReferrerID]
	referrals memtx.Table[loyalty.AccountID, Referral]
	byRef     memtx.Log[ReferrerID, loyalty.AccountID] // every referee ever attributed to a referrer
	pending   memtx.Table[loyalty.AccountID, time.Time]
	idents    memtx.Table[identKey, loyalty.AccountID]
	receipts  memtx.Table[loyalty.IdempotencyKey, Receipt]
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.profiles.Clone = Profile.Clone
	s.referrals.Clone = Referral.Clone
	s.receipts.Clone = Receipt.Clone
	return s
}

// Update implements [Store].
func (s *MemoryStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.db.Update(ctx, func(tx *memtx.Tx) error { return fn(memTx{s: s, tx: tx}) })
}

// View implements [Store].
func (s *MemoryStore) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return s.db.View(ctx, func(tx *memtx.Tx) error { return fn(memTx{s: s, tx: tx}) })
}

type identKey struct {
	kind  IdentifierKind
	value string
}

type memTx struct {
	s  *MemoryStore
	tx *memtx.Tx
}

func (t memTx) Profile(id ReferrerID) (Profile, error) {
	p, ok := t.s.profiles.Get(t.tx, id)
	if !ok {
		return Profile{}, fmt.Errorf("referral: referrer %s: %w", id, loyalty.ErrNotFound)
	}
	return p, nil
}

func (t memTx) ProfileByCode(code string) (Profile, error) {
	id, ok := t.s.codes.Get(t.tx, code)
	if !ok {
		return Profile{}, fmt.Errorf("referral: code %s: %w", code, loyalty.ErrNotFound)
	}
	return t.Profile(id)
}

func (t memTx) Referral(referee loyalty.AccountID) (Referral, error) {
	r, ok := t.s.referrals.Get(t.tx, referee)
	if !ok {
		return Referral{}, fmt.Errorf("referral: referee %s: %w", referee, loyalty.ErrNotFound)
	}
	return r, nil
}

func (t memTx) RefereeWith(kind IdentifierKind, value string) (loyalty.AccountID, error) {
	a, ok := t.s.idents.Get(t.tx, identKey{kind, value})
	if !ok {
		return "", fmt.Errorf("referral: referee with %s %s: %w", kind, value, loyalty.ErrNotFound)
	}
	return a, nil
}

func (t memTx) ReferralsBy(referrer ReferrerID) ([]Referral, error) {
	var out []Referral
	seen := make(map[loyalty.AccountID]bool)
	t.s.byRef.Range(t.tx, referrer, 0, func(_ int, a loyalty.AccountID) bool {
		if seen[a] {
			return true
		}
		seen[a] = true
		if r, ok := t.s.referrals.Get(t.tx, a); ok && r.Referrer.ID() == referrer {
			out = append(out, r)
		}
		return true
	})
	slices.SortFunc(out, func(a, b Referral) int {
		if c := a.AttributedAt.Compare(b.AttributedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Referee, b.Referee)
	})
	return out, nil
}

func (t memTx) Due(now time.Time, limit int) ([]loyalty.AccountID, error) {
	type due struct {
		at time.Time
		a  loyalty.AccountID
	}
	var all []due
	t.s.pending.Range(t.tx, func(a loyalty.AccountID, at time.Time) bool {
		if !at.After(now) {
			all = append(all, due{at, a})
		}
		return true
	})
	slices.SortFunc(all, func(x, y due) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.a, y.a)
	})
	if limit >= 0 && len(all) > limit {
		all = all[:limit]
	}
	out := make([]loyalty.AccountID, len(all))
	for i, d := range all {
		out[i] = d.a
	}
	return out, nil
}

func (t memTx) Receipt(key loyalty.IdempotencyKey) (Receipt, error) {
	r, ok := t.s.receipts.Get(t.tx, key)
	if !ok {
		return Receipt{}, fmt.Errorf("referral: receipt %s: %w", key, loyalty.ErrNotFound)
	}
	return r, nil
}

func (t memTx) PutProfile(p Profile) error {
	id := p.Referrer.ID()
	if holder, ok := t.s.codes.Get(t.tx, p.Code); ok && holder != id {
		return fmt.Errorf("referral: code %s is held by %s: %w", p.Code, holder, loyalty.ErrConflict)
	}
	if old, ok := t.s.profiles.Get(t.tx, id); ok && old.Code != p.Code {
		return fmt.Errorf("referral: referrer %s holds code %s, cannot change it to %s: %w", id, old.Code, p.Code, loyalty.ErrConflict)
	}
	if err := t.s.codes.Put(t.tx, p.Code, id); err != nil {
		return err
	}
	return t.s.profiles.Put(t.tx, id, p)
}

func (t memTx) PutReferral(r Referral) error {
	id := r.Referrer.ID()
	old, had := t.s.referrals.Get(t.tx, r.Referee)
	if !had || old.Referrer.ID() != id {
		if _, err := t.s.byRef.Append(t.tx, id, r.Referee); err != nil {
			return err
		}
	}
	var err error
	r.Identity.Each(func(kind IdentifierKind, value string) {
		if _, taken := t.s.idents.Get(t.tx, identKey{kind, value}); !taken && err == nil {
			err = t.s.idents.Put(t.tx, identKey{kind, value}, r.Referee)
		}
	})
	if err != nil {
		return err
	}
	if r.Status == StatusPending {
		if err := t.s.pending.Put(t.tx, r.Referee, r.FinalAt); err != nil {
			return err
		}
	} else if err := t.s.pending.Delete(t.tx, r.Referee); err != nil {
		return err
	}
	return t.s.referrals.Put(t.tx, r.Referee, r)
}

func (t memTx) PutReceipt(r Receipt) error {
	if _, ok := t.s.receipts.Get(t.tx, r.Key); ok {
		return fmt.Errorf("referral: receipt %s exists: %w", r.Key, loyalty.ErrConflict)
	}
	return t.s.receipts.Put(t.tx, r.Key, r)
}
