package promo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
)

var ctx = context.Background()

// countingStore counts transactions, to prove that refusals happen before any lookup.
type countingStore struct {
	promo.Store
	calls atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(tx promo.Tx) error) error {
	s.calls.Add(1)
	return s.Store.Update(ctx, fn)
}

func (s *countingStore) View(ctx context.Context, fn func(tx promo.ReadTx) error) error {
	s.calls.Add(1)
	return s.Store.View(ctx, fn)
}

var saleFormat = promo.Format{Pattern: "SALE-####-###?"}

type env struct {
	svc   *promo.Service
	store *countingStore
	clock *loyalty.ManualClock
}

func newEnv(t testing.TB, defs ...promo.Definition) env {
	t.Helper()
	store := &countingStore{Store: promo.NewMemoryStore()}
	clock := loyalty.NewManualClock(msk(2026, 11, 20, 12))
	svc, err := promo.New(promo.Config{Store: store, Clock: clock, Location: moscow, Formats: []promo.Format{saleFormat}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if err := svc.Define(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	return env{svc, store, clock}
}

func req(key, code, account string, lines ...loyalty.Line) promo.Request {
	if len(lines) == 0 {
		lines = []loyalty.Line{line("beans", "beans", "12000", false)}
	}
	o := order(account, lines...)
	o.ID = loyalty.OrderID("o-" + key)
	return promo.Request{Key: loyalty.IdempotencyKey(key), Code: code, Checkout: promo.Checkout{Order: o}}
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := promo.New(promo.Config{ReservationTTL: -time.Second, Formats: []promo.Format{{Pattern: "SALE"}}})
	if !errors.Is(err, loyalty.ErrInvalid) {
		t.Fatalf("New = %v, want ErrInvalid", err)
	}
	for _, want := range []string{"reservation_ttl: must be positive", "formats[0].pattern:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New = %q, want it to mention %q", err, want)
		}
	}
	if _, err := promo.New(promo.Config{}); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}

func TestRefusalsBeforeAnyLookup(t *testing.T) {
	e := newEnv(t)
	s := promo.MustScheme(saleFormat)
	codes, err := s.Generate(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := codes[0]
	typo := []byte(good)
	typo[5] = nextInAlphabet(typo[5])
	tests := []struct {
		typed string
		want  error
	}{
		{"", promo.ErrCodeEmpty},
		{strings.Repeat("X", 65), promo.ErrCodeTooLong},
		{"SALE<script>", promo.ErrCodeCharset},
		{"sale-" + string(typo[4:8]) + "-" + string(typo[8:]), promo.ErrCheckCharacter},
		{"SALE-" + good[4:7] + "0-" + good[8:], promo.ErrCodeCharset}, // 0 never occurs in these codes
	}
	co := promo.Checkout{Order: order("a", line("beans", "beans", "100", false))}
	for _, tt := range tests {
		before := e.store.calls.Load()
		if _, err := e.svc.Validate(ctx, tt.typed, co); !errors.Is(err, tt.want) {
			t.Errorf("Validate(%q) = %v, want %v", tt.typed, err, tt.want)
		}
		if _, err := e.svc.Reserve(ctx, promo.Request{Key: "k", Code: tt.typed, Checkout: co}); !errors.Is(err, tt.want) {
			t.Errorf("Reserve(%q) = %v, want %v", tt.typed, err, tt.want)
		}
		if n := e.store.calls.Load() - before; n != 0 {
			t.Errorf("refusing %q touched the store %d times", tt.typed, n)
		}
	}
	// A well-formed code of no known shape, or of the known shape, is looked up.
	for _, typed := range []string{"NOSUCHCODE", s.Display(good)} {
		before := e.store.calls.Load()
		_, err := e.svc.Validate(ctx, typed, co)
		if !errors.Is(err, promo.ErrUnknownCode) {
			t.Errorf("Validate(%q) = %v, want ErrUnknownCode", typed, err)
		}
		if err.Error() != promo.ErrUnknownCode.Error() {
			t.Errorf("unknown-code error %q says more than the sentinel", err)
		}
		if e.store.calls.Load() == before {
			t.Errorf("Validate(%q) did not look the code up", typed)
		}
	}
}

func TestAddCode(t *testing.T) {
	e := newEnv(t, skidka30(), promo.Definition{ID: "mine", Kind: promo.Personal, Benefit: promo.Benefit{Points: 500}})
	c, err := e.svc.AddCode(ctx, promo.Code{Code: "skidka-30", Definition: "skidka30"})
	if err != nil || c.Code != "SKIDKA30" {
		t.Fatalf("AddCode = %+v, %v", c, err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "SKIDKA 30", Definition: "skidka30"}); err != nil {
		t.Errorf("AddCode again with the same data: %v", err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "mine", Account: "a"}); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("AddCode of an existing code for another definition = %v, want ErrConflict", err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "X1", Definition: "nope"}); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("AddCode for an unknown definition = %v, want ErrNotFound", err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "X1", Definition: "mine"}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("AddCode of a personal code without account = %v, want ErrInvalid", err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "Х!", Definition: "mine", Account: "a"}); !errors.Is(err, promo.ErrCodeCharset) {
		t.Errorf("AddCode of a bad code = %v, want ErrCodeCharset", err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "GIFT", Definition: "mine", Account: "a"}); err != nil {
		t.Fatal(err)
	}
	co := promo.Checkout{Order: order("b", line("beans", "beans", "100", false))}
	if _, err := e.svc.Validate(ctx, "gift", co); !errors.Is(err, promo.ErrForeignAccount) || strings.Contains(err.Error(), `"a"`) {
		t.Errorf("Validate of another account's code = %v, want ErrForeignAccount without the owner", err)
	}
	co.Order.Account = "a"
	if g, err := e.svc.Validate(ctx, "gift", co); err != nil || g.Benefit.Points != 500 {
		t.Errorf("Validate of one's own code = %+v, %v", g, err)
	}
}

func TestDefineRefusesInvalid(t *testing.T) {
	e := newEnv(t)
	err := e.svc.Define(ctx, promo.Definition{ID: "x", Benefit: promo.Benefit{Points: 1}, Limits: promo.Limits{Total: -1}})
	if !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "limits.total: must not be negative (got -1)") {
		t.Errorf("Define = %v", err)
	}
	if _, err := e.svc.Definition(ctx, "x"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("an invalid definition was stored: %v", err)
	}
}

func TestServiceGenerate(t *testing.T) {
	e := newEnv(t, promo.Definition{ID: "sale", Benefit: promo.Benefit{Percent: decimal.NewFromInt(10)}})
	gen := promo.GenerateRequest{Key: "batch-1", Definition: "sale", Format: saleFormat, Count: 50}
	b, err := e.svc.Generate(ctx, gen)
	if err != nil || len(b.Codes) != 50 {
		t.Fatalf("Generate = %d codes, %v", len(b.Codes), err)
	}
	again, err := e.svc.Generate(ctx, gen)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, again); diff != "" {
		t.Errorf("retried Generate returned another batch (-first +retry):\n%s", diff)
	}
	gen2 := gen
	gen2.Count = 51
	if _, err := e.svc.Generate(ctx, gen2); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Generate with a reused key = %v, want ErrConflict", err)
	}
	s := promo.MustScheme(saleFormat)
	co := promo.Checkout{Order: order("a", line("beans", "beans", "100", false))}
	for i, c := range b.Codes[:5] {
		if _, err := e.svc.RedeemNow(ctx, promo.Request{Key: loyalty.IdempotencyKey(c), Code: strings.ToLower(s.Display(c)), Checkout: co}); err != nil {
			t.Errorf("code %d (%s): %v", i, s.Display(c), err)
		}
		if _, err := e.svc.Validate(ctx, c, co); !errors.Is(err, promo.ErrExhausted) {
			t.Errorf("single-use code %s after use: %v, want ErrExhausted", c, err)
		}
	}
	for _, bad := range []promo.GenerateRequest{
		{Definition: "sale", Format: saleFormat, Count: 1},
		{Key: "b", Format: saleFormat, Count: 1},
		{Key: "b", Definition: "sale", Format: saleFormat, Count: -1},
		{Key: "b", Definition: "sale", Format: promo.Format{Pattern: "##?#?"}, Count: 1},
	} {
		if _, err := e.svc.Generate(ctx, bad); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("Generate(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: "b", Definition: "nope", Format: saleFormat, Count: 1}); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("Generate for an unknown definition = %v, want ErrNotFound", err)
	}
}

func TestServiceGenerateNeverDuplicatesStoredCodes(t *testing.T) {
	e := newEnv(t, promo.Definition{ID: "d", Benefit: promo.Benefit{Points: 1}})
	small := promo.Format{Pattern: "###", Alphabet: "ABCD"} // 64 codes
	seen := map[string]bool{}
	for i, n := range []int{32, 16, 8} {
		b, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: loyalty.IdempotencyKey(rune('a' + i)), Definition: "d", Format: small, Count: n})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, c := range b.Codes {
			if seen[c] {
				t.Fatalf("batch %d repeats the stored code %s", i, c)
			}
			seen[c] = true
		}
	}
	// Too many for the pattern: refused, and nothing stored.
	_, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: "big", Definition: "d", Format: small, Count: 33})
	if !errors.Is(err, promo.ErrPatternSpace) {
		t.Errorf("Generate(33 of 64) = %v, want ErrPatternSpace", err)
	}
	if _, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: "big", Definition: "d", Format: small, Count: 1}); err != nil {
		t.Errorf("the refused batch's key was recorded: %v", err)
	}
}

func TestPersonalGenerate(t *testing.T) {
	e := newEnv(t, promo.Definition{ID: "p", Kind: promo.Personal, Benefit: promo.Benefit{Ref: "gift:mug"}})
	if _, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: "k", Definition: "p", Count: 1}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("personal codes without account = %v, want ErrInvalid", err)
	}
	b, err := e.svc.Generate(ctx, promo.GenerateRequest{Key: "k", Definition: "p", Count: 2, Account: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	co := promo.Checkout{Order: order("rival", line("beans", "beans", "100", false))}
	if _, err := e.svc.Validate(ctx, b.Codes[0], co); !errors.Is(err, promo.ErrForeignAccount) {
		t.Errorf("another account's personal code = %v, want ErrForeignAccount", err)
	}
	co.Order.Account = "acme"
	if g, err := e.svc.Validate(ctx, b.Codes[1], co); err != nil || g.Benefit.Ref != "gift:mug" {
		t.Errorf("own personal code = %+v, %v", g, err)
	}
}

// The coffee shop's periodic codes: mid-month and month end, to buyers who bought within two
// months, 30 % off, valid 2.5 months, deliberately shareable: a friend may use one too.
func TestCoffeeShopPeriodicCodes(t *testing.T) {
	def := promo.Definition{ID: "fresh30", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)},
		Limits: promo.Limits{PerCode: 0, PerAccountPerPeriod: 1, Period: loyalty.Day}, Issuance: coffeeIssuance}
	e := newEnv(t, def)
	buyers := []promo.Buyer{
		{Account: "regular", LastPurchase: msk(2026, 10, 1, 10)},
		{Account: "lapsed", LastPurchase: msk(2026, 9, 14, 10)},
	}
	issue := promo.IssueRequest{Key: "fresh30/2026-11-15", Definition: "fresh30", At: msk(2026, 11, 15, 0), Buyers: buyers}
	b, err := e.svc.Issue(ctx, issue)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]loyalty.AccountID{"regular"}, b.IssuedTo); diff != "" || len(b.Codes) != 1 {
		t.Fatalf("issued to (-want +got):\n%s; codes %v", diff, b.Codes)
	}
	if again, err := e.svc.Issue(ctx, issue); err != nil || again.Codes[0] != b.Codes[0] {
		t.Errorf("retried Issue = %v, %v; want the same code", again.Codes, err)
	}
	changed := issue
	changed.Buyers = buyers[:1]
	if _, err := e.svc.Issue(ctx, changed); !errors.Is(err, loyalty.ErrConflict) {
		t.Errorf("Issue with a reused key and other buyers = %v, want ErrConflict", err)
	}
	code := b.Codes[0]
	e.clock.Set(msk(2026, 11, 20, 12))
	if _, err := e.svc.RedeemNow(ctx, req("r1", code, "regular")); err != nil {
		t.Errorf("the recipient uses the code: %v", err)
	}
	if _, err := e.svc.RedeemNow(ctx, req("f1", code, "friend")); err != nil {
		t.Errorf("a friend uses the shared code: %v", err)
	}
	if _, err := e.svc.RedeemNow(ctx, req("r2", code, "regular")); !errors.Is(err, promo.ErrPeriodLimit) {
		t.Errorf("second use the same day = %v, want ErrPeriodLimit", err)
	}
	e.clock.Set(msk(2027, 1, 29, 23))
	if _, err := e.svc.RedeemNow(ctx, req("r3", code, "regular")); err != nil {
		t.Errorf("last day of validity: %v", err)
	}
	e.clock.Set(msk(2027, 1, 30, 0))
	if _, err := e.svc.Validate(ctx, code, req("r4", "", "regular").Checkout); !errors.Is(err, promo.ErrCodeExpired) {
		t.Errorf("after 2.5 months = %v, want ErrCodeExpired", err)
	}
	noSchedule := promo.Definition{ID: "plain", Benefit: promo.Benefit{Points: 1}}
	if err := e.svc.Define(ctx, noSchedule); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Issue(ctx, promo.IssueRequest{Key: "x", Definition: "plain", At: msk(2026, 11, 15, 0), Buyers: buyers}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Issue without a schedule = %v, want ErrInvalid", err)
	}
	if _, err := e.svc.Issue(ctx, promo.IssueRequest{Key: "y", Definition: "fresh30"}); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Issue without a date = %v, want ErrInvalid", err)
	}
}

func TestPeriodLimitsFollowTheProgramTimeZone(t *testing.T) {
	def := promo.Definition{ID: "monthly", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 100},
		Limits: promo.Limits{PerAccountPerPeriod: 1, PerPeriod: 2, Period: loyalty.Month}}
	e := newEnv(t, def)
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "MONTHLY", Definition: "monthly"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(msk(2026, 11, 30, 23))
	if _, err := e.svc.RedeemNow(ctx, req("a1", "MONTHLY", "a")); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.RedeemNow(ctx, req("a2", "MONTHLY", "a"))
	if !errors.Is(err, promo.ErrPeriodLimit) || !strings.Contains(err.Error(), "2026-12-01") {
		t.Errorf("second use in November = %v, want ErrPeriodLimit naming 2026-12-01", err)
	}
	if _, err := e.svc.RedeemNow(ctx, req("b1", "MONTHLY", "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RedeemNow(ctx, req("c1", "MONTHLY", "c")); !errors.Is(err, promo.ErrPeriodLimit) {
		t.Errorf("third use in November by anyone = %v, want ErrPeriodLimit", err)
	}
	// 1 December 00:30 in Moscow is still 30 November in UTC: a new month for the program.
	e.clock.Set(time.Date(2026, 11, 30, 21, 30, 0, 0, time.UTC))
	if _, err := e.svc.RedeemNow(ctx, req("a3", "MONTHLY", "a")); err != nil {
		t.Errorf("first use in December (Moscow): %v", err)
	}
	// Rolling back a November use frees November, not December.
	if _, err := e.svc.Rollback(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.Usage(ctx, promo.Counter{Definition: "monthly", Period: "month/2026-11-01"}); n != 1 || err != nil {
		t.Errorf("November usage = %d, %v; want 1", n, err)
	}
	if n, err := e.svc.Usage(ctx, promo.Counter{Definition: "monthly", Period: "month/2026-12-01"}); n != 1 || err != nil {
		t.Errorf("December usage = %d, %v; want 1", n, err)
	}
}

func TestReserveRefusesBadInput(t *testing.T) {
	e := newEnv(t, skidka30())
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "skidka30"}); err != nil {
		t.Fatal(err)
	}
	bad := req("k", "SKIDKA30", "a")
	bad.Checkout.Order.Lines[0].Quantity = loyalty.MustQuantity("-1")
	for name, r := range map[string]promo.Request{
		"no key":       {Code: "SKIDKA30", Checkout: req("k", "", "a").Checkout},
		"negative ttl": {Key: "k", Code: "SKIDKA30", Checkout: req("k", "", "a").Checkout, TTL: -time.Minute},
		"bad order":    bad,
	} {
		_, err := e.svc.Reserve(ctx, r)
		if !errors.Is(err, loyalty.ErrInvalid) || promo.IsRefusal(err) {
			t.Errorf("%s: Reserve = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := e.svc.Reservation(ctx, "k"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("a refused reservation was stored: %v", err)
	}
	if n, _ := e.svc.Usage(ctx, promo.Counter{Definition: "skidka30"}); n != 0 {
		t.Errorf("refused reservations counted %d uses", n)
	}
	for _, op := range []func(context.Context, loyalty.IdempotencyKey) (promo.Reservation, error){e.svc.Redeem, e.svc.Release, e.svc.Rollback} {
		if _, err := op(ctx, ""); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("empty key = %v, want ErrInvalid", err)
		}
	}
	// A refusal by condition stores nothing either.
	small := req("k2", "SKIDKA30", "a", line("beans", "beans", "100", false))
	if _, err := e.svc.Reserve(ctx, small); !errors.Is(err, promo.ErrMinimumOrder) {
		t.Errorf("small order = %v, want ErrMinimumOrder", err)
	}
	if _, err := e.svc.Reservation(ctx, "k2"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("a refused reservation was stored: %v", err)
	}
}

func TestReservationTTL(t *testing.T) {
	e := newEnv(t, skidka30())
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "SKIDKA30", Definition: "skidka30"}); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	r, err := e.svc.Reserve(ctx, req("k", "SKIDKA30", "a"))
	if err != nil || !r.ExpiresAt.Equal(now.Add(promo.DefaultReservationTTL)) {
		t.Errorf("default TTL: %v, %v", r.ExpiresAt, err)
	}
	custom := req("k2", "SKIDKA30", "b")
	custom.TTL = time.Minute
	r, err = e.svc.Reserve(ctx, custom)
	if err != nil || !r.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Errorf("custom TTL: %v, %v", r.ExpiresAt, err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.Redeem(ctx, "k2"); !errors.Is(err, promo.ErrReservationExpired) {
		t.Errorf("Redeem at expiry = %v, want ErrReservationExpired", err)
	}
	if _, err := e.svc.Redeem(ctx, "k"); err != nil {
		t.Errorf("Redeem within TTL: %v", err)
	}
}

func TestDefineAll(t *testing.T) {
	e := newEnv(t)
	bad := promo.Rules{Definitions: []promo.Definition{skidka30(), {ID: "x", Benefit: promo.Benefit{Points: 1}, Limits: promo.Limits{PerCode: 3}}, skidka30()}}
	err := e.svc.DefineAll(ctx, bad)
	for _, want := range []string{"definitions[1].limits.per_code: must be 1", "definitions[2].id: must be unique (also definitions[0]) (got skidka30)"} {
		if !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("DefineAll = %v, want it to mention %q", err, want)
		}
	}
	if _, err := e.svc.Definition(ctx, "skidka30"); !errors.Is(err, loyalty.ErrNotFound) {
		t.Errorf("invalid rules stored a definition: %v", err)
	}
	good := promo.Rules{Definitions: []promo.Definition{skidka30(), {ID: "x", Benefit: promo.Benefit{Points: 1}}}}
	if err := e.svc.DefineAll(ctx, good); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Definition(ctx, "skidka30")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(skidka30(), got); diff != "" {
		t.Errorf("stored definition (-want +got):\n%s", diff)
	}
}

func TestRulesJSONRoundTrip(t *testing.T) {
	win, _ := promo.Days("2026-12-01", "2026-12-31", moscow)
	d := skidka30()
	d.Conditions.Valid = win
	d.Conditions.Include = promo.Scope{Categories: []loyalty.CategoryID{"beans"}, Tags: []string{"new"}}
	d.Limits = promo.Limits{Total: 1000, PerAccountPerPeriod: 1, Period: loyalty.Week}
	d.Issuance = coffeeIssuance
	amount := promo.Definition{ID: "gift", Kind: promo.Personal, Benefit: promo.Benefit{Amount: rub("500")}}
	in := promo.Rules{Definitions: []promo.Definition{d, amount}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out promo.Rules
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, data)
	}
	if err := out.Validate(); err != nil {
		t.Error(err)
	}
}

func TestAddCodeRefusesCodesOfAFormatWithAWrongCheck(t *testing.T) {
	e := newEnv(t, skidka30())
	s := promo.MustScheme(saleFormat)
	codes, _ := s.Generate(1, nil)
	bad := codes[0][:11] + string(nextInAlphabet(codes[0][11]))
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: bad, Definition: "skidka30"}); !errors.Is(err, promo.ErrCheckCharacter) {
		t.Errorf("AddCode(%s) = %v, want ErrCheckCharacter", bad, err)
	}
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: s.Display(codes[0]), Definition: "skidka30"}); err != nil {
		t.Errorf("AddCode of a code with a good check: %v", err)
	}
}

// ValidateChecked gives Validate's grant or refusal on valid checkouts, with the line
// totals passed in or computed.
func TestValidateCheckedEqualsValidate(t *testing.T) {
	e := newEnv(t,
		skidka30(),
		promo.Definition{ID: "paint", Kind: promo.Shareable, Benefit: promo.Benefit{Amount: rub("100")},
			Conditions: promo.Conditions{Include: promo.Scope{Categories: []loyalty.CategoryID{"paint"}}, MinEligible: rub("60")}},
		promo.Definition{ID: "gold", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 50},
			Conditions: promo.Conditions{Tiers: []string{"gold"}, FirstOrderOnly: true}, Limits: promo.Limits{Total: 1}},
		// No condition on the lines or the amount: every line is eligible.
		promo.Definition{ID: "every", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.RequireFromString("5")}},
	)
	for _, c := range []promo.Code{{Code: "SKIDKA30", Definition: "skidka30"}, {Code: "PAINT", Definition: "paint"}, {Code: "GOLD", Definition: "gold"}, {Code: "EVERY", Definition: "every"}} {
		if _, err := e.svc.AddCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.RedeemNow(ctx, promo.Request{Key: "used", Code: "GOLD", Checkout: promo.Checkout{
		Order: order("other", line("a", "tools", "100", false)), Tier: "gold"}}); err != nil {
		t.Fatal(err)
	}
	// The same service over a store whose views hand out only the ReadTx methods: every
	// definition is read as a copy, not lent by the memory store.
	plainSvc, err := promo.New(promo.Config{Store: copyingStore{e.store.Store}, Clock: e.clock, Location: moscow, Formats: []promo.Format{saleFormat}})
	if err != nil {
		t.Fatal(err)
	}
	checkouts := []promo.Checkout{
		{Order: order("acme", line("a", "tools", "12000", false), line("b", "paint", "50", true))},
		{Order: order("acme", line("a", "tools", "100", false), line("b", "paint", "70", false)), Tier: "gold"},
		{Order: order("acme", line("b", "paint", "50", false)), PriorOrders: 2, Promotions: []loyalty.CampaignID{"R1"}},
	}
	for i, co := range checkouts {
		totals, err := co.Order.LineTotals()
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"skidka30", "PAINT", "gold", "every", "NOPE"} {
			want, wantErr := e.svc.Validate(ctx, code, co)
			for _, tt := range [][]loyalty.Money{nil, totals} {
				got, err := e.svc.ValidateChecked(ctx, code, co, tt)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("checkout %d, code %s, totals %v: error %v, want %v", i, code, tt != nil, err, wantErr)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("checkout %d, code %s, totals %v: grant (-Validate +ValidateChecked):\n%s", i, code, tt != nil, diff)
				}
				got, err = plainSvc.ValidateChecked(ctx, code, co, tt)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("checkout %d, code %s, totals %v: error with copied definitions %v, want %v", i, code, tt != nil, err, wantErr)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("checkout %d, code %s, totals %v: grant with copied definitions (-Validate +ValidateChecked):\n%s", i, code, tt != nil, diff)
				}
				// In the caller's memory when it holds every line, in new memory otherwise.
				for _, size := range []int{len(co.Order.Lines), len(co.Order.Lines) - 1} {
					buf := make([]int, size)
					got, err = e.svc.ValidateCheckedInto(ctx, buf, code, co, tt)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Errorf("checkout %d, code %s, totals %v: ValidateCheckedInto error %v, want %v", i, code, tt != nil, err, wantErr)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("checkout %d, code %s, totals %v: grant (-Validate +ValidateCheckedInto):\n%s", i, code, tt != nil, diff)
					}
					if inBuf := len(got.Lines) > 0 && size > 0 && &got.Lines[0] == &buf[0]; inBuf != (len(got.Lines) > 0 && size == len(co.Order.Lines)) {
						t.Errorf("checkout %d, code %s: grant lines in the caller's memory %v with room for %d of %d lines", i, code, inBuf, size, len(co.Order.Lines))
					}
				}
			}
		}
	}
}

// copyingStore hands its views' functions a ReadTx of the interface's methods only.
type copyingStore struct{ promo.Store }

type readOnlyTx struct{ promo.ReadTx }

func (s copyingStore) View(ctx context.Context, fn func(tx promo.ReadTx) error) error {
	return s.Store.View(ctx, func(tx promo.ReadTx) error { return fn(readOnlyTx{tx}) })
}

// A code's own conditions are judged before its limits: a used-up code on an order it
// could not apply to anyway is refused for the order (the checkout's problem first, then
// the code's conditions, then its limits), by Validate as by ValidateChecked.
func TestValidateRefusesConditionsBeforeLimits(t *testing.T) {
	e := newEnv(t, promo.Definition{ID: "once", Kind: promo.Shareable, Benefit: promo.Benefit{Percent: decimal.NewFromInt(10)},
		Conditions: promo.Conditions{MinOrder: rub("1000")}, Limits: promo.Limits{Total: 1}})
	if _, err := e.svc.AddCode(ctx, promo.Code{Code: "ONCE", Definition: "once"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RedeemNow(ctx, promo.Request{Key: "first", Code: "ONCE", Checkout: promo.Checkout{
		Order: order("other", line("a", "tools", "5000", false))}}); err != nil {
		t.Fatal(err)
	}
	small := promo.Checkout{Order: order("acme", line("a", "tools", "500", false))}
	big := promo.Checkout{Order: order("acme", line("a", "tools", "5000", false))}
	invalid := promo.Checkout{Order: order("acme", line("a", "tools", "500", false)), PriorOrders: -1}
	for _, tt := range []struct {
		name string
		co   promo.Checkout
		want error
	}{
		{"below the minimum", small, promo.ErrMinimumOrder},
		{"above the minimum", big, promo.ErrExhausted},
		{"invalid checkout", invalid, loyalty.ErrInvalid},
	} {
		if _, err := e.svc.Validate(ctx, "once", tt.co); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
		if tt.co.PriorOrders >= 0 {
			if _, err := e.svc.ValidateChecked(ctx, "once", tt.co, nil); !errors.Is(err, tt.want) {
				t.Errorf("%s: ValidateChecked = %v, want %v", tt.name, err, tt.want)
			}
		}
	}
	if _, err := e.svc.Validate(ctx, "nope", invalid); !errors.Is(err, promo.ErrUnknownCode) {
		t.Errorf("unknown code on an invalid checkout: %v, want ErrUnknownCode (the lookup comes first)", err)
	}
}
