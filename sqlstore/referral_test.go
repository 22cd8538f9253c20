package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/loyaltykit/loyalty/referral/referraltest"
	"github.com/shopspring/decimal"
)

// referralTables are the tables of migration 0003_referral that hold data.
var referralTables = []string{"referral_profiles", "referral_referrals", "referral_identifiers", "referral_receipts"}

// refRaceChecks is how many cases the conformance suite's rapid state machine runs under the
// race detector, unless -rapid.checks or RAPID_CHECKS says otherwise. The detector slows
// the SQLite engine (C translated to Go) some twentyfold: the full 100 cases would take
// minutes, and what the detector looks for, the store's concurrency, is the suite's
// concurrency test, which runs in full. Without -race the state machine runs its 100 cases.
const refRaceChecks = 6

func TestReferralStoreConformance(t *testing.T) {
	if raceEnabled {
		fewerRapidChecks(t, refRaceChecks)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		// Every store the suite asks for is the same store emptied: the suite uses one
		// store at a time, and the rapid state machine asks for a fresh one per run.
		s := NewReferralStore(db, d.dialect)
		referraltest.Run(t, func(t *testing.T) referral.Store {
			emptyTables(t, db, referralTables)
			return s
		})
	})
}

var (
	refCtx = context.Background()
	refT0  = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

// fullReferral returns a referral with every field set, times with nanoseconds in a zone
// other than UTC.
func fullReferral(referee loyalty.AccountID) referral.Referral {
	msk := time.FixedZone("MSK", 3*3600)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, msk)
	return referral.Referral{
		Referee:           referee,
		RefereeBuyer:      "buyer-7",
		Identity:          referral.Identity{Emails: []string{"cfo@new.example"}, Phones: []string{"79001112233"}, TaxIDs: []string{"7707083893"}},
		Referrer:          referral.Referrer{Kind: referral.KindBuyer, Account: "acme", Buyer: "b-1", Partner: "p-1"}, // no valid shape sets every field; the store keeps them all
		Code:              "ACME7",
		Status:            referral.StatusPending,
		AttributedAt:      at,
		FirstAttributedAt: at.Add(-time.Hour),
		ConvertBy:         at.AddDate(0, 0, 90),
		Previous:          []referral.ReferrerID{"account:globex"},
		Orders:            3,
		Order:             "o-1",
		Event:             "signed",
		Amount:            loyalty.MustMoney("12000.50", "RUB"),
		Returned:          loyalty.MustMoney("100", "RUB"),
		ConvertedAt:       at.Add(time.Minute),
		CountedAt:         at.Add(2 * time.Minute),
		FinalAt:           at.AddDate(0, 0, 14),
		CancelledAt:       at.Add(3 * time.Minute),
		CancelReason:      "returned",
		Grants: []referral.Grant{{
			ID: "g-1", Side: referral.SideReferrer, Referrer: "buyer:b-1", Referee: referee, Buyer: "buyer-7",
			Reward: referral.Reward{Kind: referral.RewardCredit, Points: 5, Rate: decimal.RequireFromString("0.30"),
				Family: "F", Credit: loyalty.MustMoney("500", "USD"), Label: "credit"},
			Status: referral.GrantPending, At: at.Add(time.Second), Note: "milestone", Milestone: 5,
		}},
		Seq: 9,
	}
}

func fullProfile() referral.Profile {
	msk := time.FixedZone("MSK", 3*3600)
	at := time.Date(2026, 2, 1, 0, 0, 0, 999, msk)
	return referral.Profile{
		Referrer:     referral.Referrer{Kind: referral.KindPartner, Account: "own-co", Buyer: "b-2", Partner: "dealer-3"},
		Code:         "DEALER3",
		Identity:     referral.Identity{Emails: []string{"d@x.example"}, Phones: []string{"1"}, TaxIDs: []string{"T"}},
		RegisteredAt: at,
		Recent:       []time.Time{at, at.Add(time.Nanosecond * 1500)},
		Finalized:    4,
		Superseded:   2,
		Usage:        []referral.CapUsage{{Period: loyalty.Month, Start: at, Conversions: 1, Points: 5, Credit: loyalty.MustMoney("1", "EUR")}},
	}
}

// inUTCMicros returns v with every time in UTC and truncated to the microsecond, as the
// store keeps times.
func inUTCMicros[T any](v T) T {
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		if v.Type() == reflect.TypeFor[time.Time]() {
			if v.CanSet() {
				v.Set(reflect.ValueOf(time.UnixMicro(v.Interface().(time.Time).UnixMicro()).UTC()))
			}
			return
		}
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	walk(p.Elem())
	return p.Elem().Interface().(T)
}

// zeroFields returns the paths of the exported fields of v (walking nested structs and the
// first element of slices) that are zero.
func zeroFields(path string, v reflect.Value) []string {
	if v.IsZero() {
		return []string{path}
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return nil
		}
		var out []string
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				out = append(out, zeroFields(path+"."+f.Name, v.Field(i))...)
			}
		}
		return out
	case reflect.Slice:
		return zeroFields(path+"[0]", v.Index(0))
	}
	return nil
}

// TestReferralStoreKeepsEveryField round-trips a referral and a profile with every field
// set: if a field is added to either type, the test fails until the store keeps it.
func TestReferralStoreKeepsEveryField(t *testing.T) {
	r, p := fullReferral("new-co"), fullProfile()
	if zero := append(zeroFields("Referral", reflect.ValueOf(r)), zeroFields("Profile", reflect.ValueOf(p))...); len(zero) > 0 {
		t.Fatalf("the test values leave fields unset (set them, and store them): %v", zero)
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewReferralStore(openMigratedDB(t, d), d.dialect)
		rc := referral.Receipt{Key: "k", Op: "order", Fingerprint: "f", Result: []byte{0, 0xff, '\''}, At: r.AttributedAt}
		empty := referral.Receipt{Key: "empty", Op: "o", Result: []byte{}}
		none := referral.Receipt{Key: "none", Op: "o"}
		if err := s.Update(refCtx, func(tx referral.Tx) error {
			return errors.Join(tx.PutReferral(r), tx.PutProfile(p), tx.PutReceipt(rc), tx.PutReceipt(empty), tx.PutReceipt(none))
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.View(refCtx, func(tx referral.ReadTx) error {
			gr, err := tx.Referral("new-co")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(inUTCMicros(r), gr); diff != "" {
				t.Errorf("referral (-want +got):\n%s", diff)
			}
			if loc := gr.AttributedAt.Location(); loc != time.UTC {
				t.Errorf("times read back in %v, want UTC", loc)
			}
			gp, err := tx.Profile(p.Referrer.ID())
			if err != nil {
				return err
			}
			if diff := cmp.Diff(inUTCMicros(p), gp); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			for _, want := range []referral.Receipt{inUTCMicros(rc), empty, none} {
				got, err := tx.Receipt(want.Key)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(want, got); diff != "" || (want.Result == nil) != (got.Result == nil) {
					t.Errorf("receipt %s (-want +got):\n%s (nil result: want %v, got %v)", want.Key, diff, want.Result == nil, got.Result == nil)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReferralStoreZeroValues stores referrals and profiles with zero times and amounts: they
// read back as zero, and a pending referral with a zero FinalAt is due at once, as in the
// in-memory store.
func TestReferralStoreZeroValues(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewReferralStore(openMigratedDB(t, d), d.dialect)
		r := referral.Referral{Referee: "z", Referrer: referral.AccountReferrer("acme"), Status: referral.StatusPending}
		p := referral.Profile{Referrer: referral.AccountReferrer("acme")}
		if err := s.Update(refCtx, func(tx referral.Tx) error { return errors.Join(tx.PutReferral(r), tx.PutProfile(p)) }); err != nil {
			t.Fatal(err)
		}
		if err := s.View(refCtx, func(tx referral.ReadTx) error {
			gr, err1 := tx.Referral("z")
			gp, err2 := tx.ProfileByCode("")
			due, err3 := tx.Due(refT0, -1)
			if err := errors.Join(err1, err2, err3); err != nil {
				return err
			}
			if diff := cmp.Diff(r, gr, cmpopts.EquateEmpty()); diff != "" || !gr.FinalAt.IsZero() || gr.Amount != (loyalty.Money{}) {
				t.Errorf("zero referral (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(p, gp, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("zero profile (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]loyalty.AccountID{"z"}, due); diff != "" {
				t.Errorf("Due (-want +got):\n%s", diff)
			}
			if due, err := tx.Due(time.Time{}.Add(-time.Second), -1); err != nil || len(due) != 0 {
				t.Errorf("Due before the zero time = %v, %v", due, err)
			}
			if due, err := tx.Due(time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), 0); err != nil || len(due) != 0 {
				t.Errorf("Due with limit 0 = %v, %v", due, err)
			}
			if due, err := tx.Due(time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), 5); err != nil || len(due) != 1 {
				t.Errorf("Due in the year 20000 = %v, %v", due, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReferralStoreStoresHostileText stores IDs, codes, keys and identifiers made of SQL
// metacharacters, quotes, LIKE wildcards and non-ASCII text: they are data, read back
// exactly, and match only themselves.
func TestReferralStoreStoresHostileText(t *testing.T) {
	hostile := []string{
		`x'); DROP TABLE referral_referrals; --`,
		`' OR '1'='1`,
		`%`, `_`, `a%b_c`, `\`, `\'`, `"; SELECT 1; --`, `$1`, `?`, `:name`, `@p1`,
		"ünïcødé 参照 🚀", " leading and trailing ", "line\nbreak\ttab", "\u200b", strings.Repeat("k", MaxReferralKeyBytes),
	}
	eachDB(t, func(t *testing.T, d testDB) {
		s := NewReferralStore(openMigratedDB(t, d), d.dialect)
		if err := s.Update(refCtx, func(tx referral.Tx) error {
			var errs []error
			for i, h := range hostile {
				ref := referral.AccountReferrer(loyalty.AccountID(h))
				if len(ref.ID()) > MaxReferralKeyBytes {
					ref = referral.AccountReferrer(loyalty.AccountID(h[len(ref.ID())-MaxReferralKeyBytes:]))
				}
				r := referral.Referral{Referee: loyalty.AccountID(h), Referrer: ref, Code: h, Status: referral.StatusPending,
					FinalAt: refT0.Add(time.Duration(i) * time.Second), CancelReason: h, Event: h,
					Identity: referral.Identity{Emails: []string{h}, TaxIDs: []string{h}}}
				errs = append(errs, tx.PutProfile(referral.Profile{Referrer: ref, Code: h}), tx.PutReferral(r),
					tx.PutReceipt(referral.Receipt{Key: loyalty.IdempotencyKey(h), Op: h, Fingerprint: h, Result: []byte(h)}))
			}
			return errors.Join(errs...)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.View(refCtx, func(tx referral.ReadTx) error {
			for _, h := range hostile {
				p, err := tx.ProfileByCode(h)
				if err != nil || p.Code != h {
					t.Errorf("ProfileByCode(%q) = %q, %v", h, p.Code, err)
				}
				if byID, err := tx.Profile(p.Referrer.ID()); err != nil || byID.Code != h {
					t.Errorf("Profile(%q) = %q, %v", p.Referrer.ID(), byID.Code, err)
				}
				r, err := tx.Referral(loyalty.AccountID(h))
				if err != nil || r.Code != h || r.CancelReason != h || r.Event != h {
					t.Errorf("Referral(%q) = %+v, %v", h, r, err)
				}
				if refs, err := tx.ReferralsBy(r.Referrer.ID()); err != nil || len(refs) != 1 || refs[0].Referee != loyalty.AccountID(h) {
					t.Errorf("ReferralsBy(%q) = %v, %v", r.Referrer.ID(), refs, err)
				}
				for _, kind := range []referral.IdentifierKind{referral.IdentifierEmail, referral.IdentifierTaxID} {
					if a, err := tx.RefereeWith(kind, h); err != nil || a != loyalty.AccountID(h) {
						t.Errorf("RefereeWith(%s, %q) = %q, %v", kind, h, a, err)
					}
				}
				rc, err := tx.Receipt(loyalty.IdempotencyKey(h))
				if err != nil || rc.Op != h || string(rc.Result) != h {
					t.Errorf("Receipt(%q) = %+v, %v", h, rc, err)
				}
			}
			// Wildcards and quotes match nothing but themselves.
			for _, miss := range []string{"x", "a", "ab_c", "a%b_", `'`, strings.Repeat("k", MaxReferralKeyBytes-1)} {
				if _, err := tx.ProfileByCode(miss); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("ProfileByCode(%q) = %v, want ErrNotFound", miss, err)
				}
				if _, err := tx.Referral(loyalty.AccountID(miss)); !errors.Is(err, loyalty.ErrNotFound) {
					t.Errorf("Referral(%q) = %v, want ErrNotFound", miss, err)
				}
			}
			due, err := tx.Due(refT0.Add(time.Hour), -1)
			if err != nil || len(due) != len(hostile) {
				t.Errorf("Due = %d referees, %v; want %d", len(due), err, len(hostile))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReferralStoreRefusesBadText refuses, with an error naming the field and wrapping
// loyalty.ErrInvalid, writes of invalid UTF-8, NUL bytes, over-long keys and times that
// cannot be stored; a refused write leaves the store as it was, and later statements of
// the same transaction still work. Reads of such keys find nothing.
func TestReferralStoreRefusesBadText(t *testing.T) {
	long := strings.Repeat("x", MaxReferralKeyBytes+1)
	base := func() referral.Referral {
		return referral.Referral{Referee: "ok", Referrer: referral.AccountReferrer("acme"), Status: referral.StatusAttributed, AttributedAt: refT0}
	}
	cases := []struct {
		name  string
		field string
		put   func(tx referral.Tx) error
	}{
		{"invalid UTF-8 referee", "referee", func(tx referral.Tx) error { r := base(); r.Referee = "bad\xff"; return tx.PutReferral(r) }},
		{"NUL in referee", "referee", func(tx referral.Tx) error { r := base(); r.Referee = "a\x00b"; return tx.PutReferral(r) }},
		{"over-long referee", "referee", func(tx referral.Tx) error { r := base(); r.Referee = loyalty.AccountID(long); return tx.PutReferral(r) }},
		{"over-long referrer", "referrer.id", func(tx referral.Tx) error {
			r := base()
			r.Referrer = referral.AccountReferrer(loyalty.AccountID(long[:MaxReferralKeyBytes-3]))
			return tx.PutReferral(r)
		}},
		{"over-long identifier", "identity.email", func(tx referral.Tx) error {
			r := base()
			r.Identity.Emails = []string{long}
			return tx.PutReferral(r)
		}},
		{"invalid UTF-8 in a grant note", "grants[1].note", func(tx referral.Tx) error {
			r := base()
			r.Grants = []referral.Grant{{ID: "g0"}, {ID: "g1", Note: "caf\xe9"}}
			return tx.PutReferral(r)
		}},
		{"invalid UTF-8 in a reward label", "grants[0].reward.label", func(tx referral.Tx) error {
			r := base()
			r.Grants = []referral.Grant{{ID: "g0", Reward: referral.Reward{Label: "\xc3"}}}
			return tx.PutReferral(r)
		}},
		{"NUL in a cancel reason", "cancel_reason", func(tx referral.Tx) error { r := base(); r.CancelReason = "\x00"; return tx.PutReferral(r) }},
		{"time after 9999", "final_at", func(tx referral.Tx) error {
			r := base()
			r.FinalAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			return tx.PutReferral(r)
		}},
		{"time before the year 1", "grants[0].at", func(tx referral.Tx) error {
			r := base()
			r.Grants = []referral.Grant{{ID: "g0", At: time.Time{}.Add(-time.Hour)}}
			return tx.PutReferral(r)
		}},
		{"invalid UTF-8 code", "code", func(tx referral.Tx) error {
			return tx.PutProfile(referral.Profile{Referrer: referral.AccountReferrer("acme"), Code: "\xfe"})
		}},
		{"over-long code", "code", func(tx referral.Tx) error {
			return tx.PutProfile(referral.Profile{Referrer: referral.AccountReferrer("acme"), Code: long})
		}},
		{"invalid UTF-8 profile e-mail", "identity.emails[0]", func(tx referral.Tx) error {
			return tx.PutProfile(referral.Profile{Referrer: referral.AccountReferrer("acme"), Code: "C", Identity: referral.Identity{Emails: []string{"\xff@x"}}})
		}},
		{"profile usage time", "usage[0].start", func(tx referral.Tx) error {
			return tx.PutProfile(referral.Profile{Referrer: referral.AccountReferrer("acme"), Code: "C",
				Usage: []referral.CapUsage{{Period: loyalty.Month, Start: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}}})
		}},
		{"over-long receipt key", "key", func(tx referral.Tx) error { return tx.PutReceipt(referral.Receipt{Key: loyalty.IdempotencyKey(long)}) }},
		{"NUL in a receipt op", "op", func(tx referral.Tx) error { return tx.PutReceipt(referral.Receipt{Key: "k", Op: "a\x00"}) }},
	}
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		s := NewReferralStore(db, d.dialect)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				emptyTables(t, db, referralTables)
				var putErr error
				err := s.Update(refCtx, func(tx referral.Tx) error {
					putErr = c.put(tx)
					// The transaction is still usable after a refusal.
					return tx.PutReceipt(referral.Receipt{Key: "after", Op: "o"})
				})
				if err != nil {
					t.Fatalf("the transaction broke after a refused write: %v", err)
				}
				var fe *loyalty.FieldError
				if !errors.Is(putErr, loyalty.ErrInvalid) || !errors.As(putErr, &fe) || fe.Field != c.field {
					t.Fatalf("write = %v, want a loyalty.ErrInvalid naming %s", putErr, c.field)
				}
				if len(putErr.Error()) > 600 {
					t.Errorf("error message of %d bytes: %.200s…", len(putErr.Error()), putErr)
				}
				for _, table := range []string{"referral_profiles", "referral_referrals", "referral_identifiers"} {
					var n int
					if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
						t.Errorf("%s has %d rows after a refused write (%v)", table, n, err)
					}
				}
			})
		}
		t.Run("reads", func(t *testing.T) {
			if err := s.View(refCtx, func(tx referral.ReadTx) error {
				for _, key := range []string{"bad\xff", "a\x00b", long} {
					_, e1 := tx.Profile(referral.ReferrerID(key))
					_, e2 := tx.ProfileByCode(key)
					_, e3 := tx.Referral(loyalty.AccountID(key))
					_, e4 := tx.RefereeWith(referral.IdentifierEmail, key)
					_, e5 := tx.Receipt(loyalty.IdempotencyKey(key))
					for i, err := range []error{e1, e2, e3, e4, e5} {
						if !errors.Is(err, loyalty.ErrNotFound) {
							t.Errorf("read %d of %.20q = %v, want ErrNotFound", i, key, err)
						}
					}
					if refs, err := tx.ReferralsBy(referral.ReferrerID(key)); err != nil || len(refs) != 0 {
						t.Errorf("ReferralsBy(%.20q) = %v, %v", key, refs, err)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestReferralServiceBadInput drives the referral service with hostile and broken input
// end to end: what can be stored is, what cannot is refused with loyalty.ErrInvalid and
// changes nothing.
func TestReferralServiceBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		svc, err := referral.New(referral.Config{Rules: referral.Rules{ReferrerRewards: []referral.Reward{referral.PointsReward(100)}},
			Store: NewReferralStore(db, d.dialect), Clock: loyalty.NewManualClock(refT0)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Register(refCtx, referral.Registration{Referrer: referral.AccountReferrer(`acme'; --`), Code: "ACME1"})
		if err != nil {
			t.Fatal(err)
		}
		evil := loyalty.AccountID(`new'); DELETE FROM referral_profiles; --`)
		if _, err := svc.Attribute(refCtx, referral.Attribution{Key: `k'1`, Code: p.Code, Referee: evil,
			Identity: referral.Identity{Emails: []string{`o'brien@x.example`}}}); err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]referral.Attribution{
			"invalid UTF-8 referee": {Key: "k2", Code: p.Code, Referee: "bad\xff"},
			"invalid UTF-8 key":     {Key: "k\xff", Code: p.Code, Referee: "other"},
			"over-long referee":     {Key: "k3", Code: p.Code, Referee: loyalty.AccountID(strings.Repeat("r", 1<<20))},
			"invalid UTF-8 buyer":   {Key: "k4", Code: p.Code, Referee: "other", Buyer: "b\xff"},
			"NUL in the buyer":      {Key: "k5", Code: p.Code, Referee: "other", Buyer: "b\x00"},
			"over-long tax id":      {Key: "k6", Code: p.Code, Referee: "other", Identity: referral.Identity{TaxIDs: []string{strings.Repeat("7", 4096)}}},
		} {
			if _, err := svc.Attribute(refCtx, a); !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("%s: Attribute = %v, want loyalty.ErrInvalid", name, err)
			}
		}
		r, err := svc.Referral(refCtx, evil)
		if err != nil || r.Referrer.Account != `acme'; --` {
			t.Fatalf("Referral(%q) = %+v, %v", evil, r, err)
		}
		rep, err := svc.Report(refCtx, referral.AccountReferrer(`acme'; --`))
		if err != nil || rep.Attributed != 1 {
			t.Fatalf("Report = %+v, %v; want the one referral", rep, err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM referral_referrals`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d referrals stored (%v), want 1", n, err)
		}
	})
}

// TestReferralStoreOnCallersTransaction commits referral effects with the caller's own
// transaction, or not at all.
func TestReferralStoreOnCallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		db := openMigratedDB(t, d)
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(refCtx, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := NewReferralStore(tx, d.dialect)
			p := referral.Profile{Referrer: referral.AccountReferrer("acme"), Code: "ACME"}
			if err := s.Update(refCtx, func(tx referral.Tx) error { return tx.PutProfile(p) }); err != nil {
				t.Fatal(err)
			}
			if err := s.View(refCtx, func(tx referral.ReadTx) error { _, err := tx.ProfileByCode("ACME"); return err }); err != nil {
				t.Fatalf("the caller's transaction does not see its own write: %v", err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			err = NewReferralStore(db, d.dialect).View(refCtx, func(tx referral.ReadTx) error { _, err := tx.ProfileByCode("ACME"); return err })
			if commit && err != nil || !commit && !errors.Is(err, loyalty.ErrNotFound) {
				t.Fatalf("after the caller's commit=%v: %v", commit, err)
			}
		}
	})
}

// TestReferralSeveralInstances runs the referral service on several separate connection
// pools, as separate application instances would, attributing, converting and settling
// the same referees at once, some with the same keys: each referee is attributed once and
// converted once, every reward is granted once, and every instance sees the same state.
func TestReferralSeveralInstances(t *testing.T) {
	const instances, referees = 4, 12
	rules := referral.Rules{
		ReturnDays:      10,
		ReferrerRewards: []referral.Reward{referral.PointsReward(100)},
		RefereeRewards:  []referral.Reward{referral.PromoReward("THANKS")},
		WelcomeRewards:  []referral.Reward{referral.DiscountReward(decimal.RequireFromString("0.1"))},
		Milestones:      []referral.Milestone{{Every: 3, Rewards: []referral.Reward{referral.PointsReward(1000)}}},
		Caps:            []referral.Cap{{Period: loyalty.Month, MaxConversions: 8}},
	}
	eachDB(t, func(t *testing.T, d testDB) {
		openMigratedDB(t, d)
		svcs := make([]*referral.Service, instances)
		clocks := make([]*loyalty.ManualClock, instances)
		for i := range svcs {
			db := mustOpen(t, d) // a separate pool, as another application instance would have
			db.SetMaxOpenConns(4)
			clocks[i] = loyalty.NewManualClock(refT0)
			svc, err := referral.New(referral.Config{Rules: rules, Store: NewReferralStore(db, d.dialect), Clock: clocks[i]})
			if err != nil {
				t.Fatal(err)
			}
			svcs[i] = svc
		}
		codes := []string{"ACME1", "GLOBEX1"}
		for i, name := range []loyalty.AccountID{"acme", "globex"} {
			if _, err := svcs[i].Register(refCtx, referral.Registration{Referrer: referral.AccountReferrer(name), Code: codes[i]}); err != nil {
				t.Fatal(err)
			}
		}
		referee := func(i int) loyalty.AccountID { return loyalty.AccountID(fmt.Sprintf("new-%d", i)) }

		var mu sync.Mutex
		wins := map[loyalty.AccountID]int{}
		conversions := map[loyalty.AccountID]int{}
		granted := map[string]int{} // new grants, pending or final, returned by non-replayed results
		run := func(fn func(inst int)) {
			var wg sync.WaitGroup
			for inst := range instances {
				wg.Add(1)
				go func() { defer wg.Done(); fn(inst) }()
			}
			wg.Wait()
		}
		record := func(gs []referral.Grant) {
			for _, g := range gs {
				if g.Status == referral.GrantPending || g.Status == referral.GrantFinal {
					granted[g.ID+"/"+string(g.Status)]++
				}
			}
		}
		run(func(inst int) {
			rnd := rand.New(rand.NewPCG(uint64(inst), 7))
			for _, i := range rnd.Perm(referees) {
				a := referee(i)
				// Instances 0 and 2 (and 1 and 3) send the same requests under the same keys,
				// as a retrying caller would; the others under their own keys.
				res, err := svcs[inst].Attribute(refCtx, referral.Attribution{Key: loyalty.IdempotencyKey(fmt.Sprintf("att-%d-%d", inst%2, i)),
					Code: codes[inst%2], Referee: a})
				switch {
				case err == nil:
					mu.Lock()
					if !res.Replayed {
						wins[a]++
						record(res.Grants)
					}
					mu.Unlock()
				case !errors.Is(err, referral.ErrAlreadyAttributed):
					t.Errorf("instance %d: Attribute(%s): %v", inst, a, err)
				}
				order := loyalty.Order{ID: loyalty.OrderID("o-" + a), Account: a, Currency: loyalty.MustCurrency("RUB"), PlacedAt: refT0,
					Lines: []loyalty.Line{{SKU: "s", Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("5000", "RUB")}}}
				or, err := svcs[inst].RecordOrder(refCtx, referral.OrderEvent{Key: loyalty.IdempotencyKey(fmt.Sprintf("ord-%d-%d", inst%2, i)), Order: order})
				if err != nil {
					t.Errorf("instance %d: RecordOrder(%s): %v", inst, a, err)
					continue
				}
				mu.Lock()
				if !or.Replayed && or.Outcome == referral.OutcomeConverted {
					conversions[a]++
					record(or.Grants)
				}
				mu.Unlock()
			}
		})
		// Every instance settles at once when the return window has closed.
		finalized := map[loyalty.AccountID]int{}
		run(func(inst int) {
			clocks[inst].Set(refT0.AddDate(0, 0, 10))
			res, err := svcs[inst].Settle(refCtx)
			if err != nil {
				t.Errorf("instance %d: Settle: %v", inst, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, a := range res.Finalized {
				finalized[a]++
			}
			record(res.Grants)
		})
		if t.Failed() {
			t.FailNow()
		}
		for i := range referees {
			a := referee(i)
			if wins[a] != 1 || conversions[a] != 1 || finalized[a] != 1 {
				t.Errorf("%s: attributed %d times, converted %d times, finalised %d times; want once each", a, wins[a], conversions[a], finalized[a])
			}
		}
		for id, n := range granted {
			if n != 1 {
				t.Errorf("grant %s was handed out %d times", id, n)
			}
		}
		// The stored state agrees, and every instance sees it.
		var want []referral.Referral
		for inst, svc := range svcs {
			var got []referral.Referral
			for i := range referees {
				r, err := svc.Referral(refCtx, referee(i))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			attributed, finalizedSum := 0, 0
			for _, ref := range []referral.Referrer{referral.AccountReferrer("acme"), referral.AccountReferrer("globex")} {
				rep, err := svc.Report(refCtx, ref)
				if err != nil {
					t.Fatal(err)
				}
				p, err := svc.Profile(refCtx, ref)
				if err != nil {
					t.Fatal(err)
				}
				attributed += rep.Attributed
				finalizedSum += p.Finalized
			}
			if attributed != referees || finalizedSum != referees {
				t.Fatalf("instance %d: %d referrals, %d final conversions; want %d", inst, attributed, finalizedSum, referees)
			}
			if inst == 0 {
				want = got
			} else if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("instance %d sees another state (-instance 0 +instance %d):\n%s", inst, inst, diff)
			}
		}
		stored := map[string]bool{}
		for _, r := range want {
			if r.Status != referral.StatusFinal {
				t.Errorf("%s ended %s, want final", r.Referee, r.Status)
			}
			for _, g := range r.Grants {
				if stored[g.ID] {
					t.Errorf("grant %s is stored twice", g.ID)
				}
				stored[g.ID] = true
				if g.Status == referral.GrantFinal && granted[g.ID+"/final"] != 1 {
					t.Errorf("final grant %s was handed out as final %d times", g.ID, granted[g.ID+"/final"])
				}
			}
		}
	})
}

// benchReferral runs parallel attributions of new referees to 100 referrers (8 clients,
// every guard on) against d.
func benchReferral(b *testing.B, d testDB) {
	db := mustOpen(b, d)
	if _, err := Migrate(refCtx, db, d.dialect); err != nil {
		b.Fatal(err)
	}
	emptyTables(b, db, referralTables)
	svc, err := referral.New(referral.Config{
		Rules: referral.Rules{
			ReferrerRewards: []referral.Reward{referral.PointsReward(100)},
			WelcomeRewards:  []referral.Reward{referral.DiscountReward(decimal.RequireFromString("0.1"))},
			Velocity:        []referral.VelocityLimit{{Max: 1 << 30, Within: 24 * time.Hour}},
		},
		Store: NewReferralStore(db, d.dialect), Clock: loyalty.NewManualClock(refT0)})
	if err != nil {
		b.Fatal(err)
	}
	codes := make([]string, 100)
	for i := range codes {
		p, err := svc.Register(refCtx, referral.Registration{Referrer: referral.AccountReferrer(loyalty.AccountID(fmt.Sprintf("ref-%d", i)))})
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = p.Code
	}
	var next sync.Mutex
	n := 0
	parallelClients(b, db)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			i := n
			n++
			next.Unlock()
			a := loyalty.AccountID(fmt.Sprintf("new-%d", i))
			if _, err := svc.Attribute(refCtx, referral.Attribution{Key: loyalty.IdempotencyKey("att-" + a), Code: codes[i%len(codes)], Referee: a,
				Identity: referral.Identity{Emails: []string{string(a) + "@x.example"}}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPostgresAttribute attributes new referees from 8 parallel clients on PostgreSQL.
func BenchmarkPostgresAttribute(b *testing.B) { benchReferral(b, postgresDB(b)) }

// BenchmarkSQLiteAttribute attributes new referees from 8 parallel clients on SQLite.
func BenchmarkSQLiteAttribute(b *testing.B) { benchReferral(b, sqliteDB(b)) }

// TestReferralQueriesUseIndexes checks on SQLite that no lookup of the store scans a whole
// table: each is served by the primary keys, the unique code or the indexes of migration
// 0003. (PostgreSQL plans depend on table statistics; the same indexes serve it.)
func TestReferralQueriesUseIndexes(t *testing.T) {
	db := openMigratedDB(t, sqliteDB(t))
	q := newRefQueries(SQLite)
	for name, query := range map[string]string{
		"profile": q.profile, "profileByCode": q.profileByCode, "referral": q.referral, "refereeWith": q.refereeWith,
		"referralsBy": q.referralsBy, "due": q.due, "dueAll": q.dueAll, "receipt": q.receipt, "profileHolders": q.profileHolders,
	} {
		args := []any{"a", "b"}[:strings.Count(query, "$")]
		rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			t.Fatal(err)
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s scans a table: %v", name, plan)
			}
		}
		if len(plan) == 0 {
			t.Errorf("%s: no plan", name)
		}
	}
}
