package promo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/shopspring/decimal"
)

var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return time.FixedZone("MSK", 3*60*60)
	}
	return loc
}()

func rub(s string) loyalty.Money { return loyalty.MustMoney(s, "RUB") }

func line(sku, category, price string, promo bool) loyalty.Line {
	return loyalty.Line{SKU: loyalty.SKU(sku), Category: loyalty.CategoryID(category), Quantity: loyalty.MustQuantity("1"),
		UnitPrice: loyalty.MustPrice(price, "RUB"), OnPromotion: promo}
}

func order(account string, lines ...loyalty.Line) loyalty.Order {
	return loyalty.Order{ID: "o-1", Account: loyalty.AccountID(account), Currency: loyalty.MustCurrency("RUB"),
		PlacedAt: time.Date(2026, 11, 20, 12, 0, 0, 0, moscow), Lines: lines}
}

// skidka30 is the coffee shop's code: 30 % off everything when the order is at least
// 10,000; not on promotional offers; not combinable with promotion "R1". Shared freely.
func skidka30() promo.Definition {
	return promo.Definition{
		ID:      "skidka30",
		Kind:    promo.Shareable,
		Benefit: promo.Benefit{Percent: decimal.NewFromInt(30)},
		Conditions: promo.Conditions{
			MinOrder:           rub("10000"),
			ExcludePromotional: true,
			NotWith:            []loyalty.CampaignID{"R1"},
		},
	}
}

func TestCoffeeShopSKIDKA30(t *testing.T) {
	d := skidka30()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	code := promo.Code{Code: "SKIDKA30", Definition: d.ID}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, moscow)
	tests := []struct {
		name       string
		co         promo.Checkout
		wantLines  []int
		eligible   string
		wantRefuse error
	}{
		{"order of 12,000, nothing on promotion",
			promo.Checkout{Order: order("a", line("beans", "beans", "4000", false), line("machine", "machines", "8000", false))},
			[]int{0, 1}, "12000", nil},
		{"exactly 10,000",
			promo.Checkout{Order: order("a", line("beans", "beans", "10000", false))},
			[]int{0}, "10000", nil},
		{"9,999.99 is below the minimum",
			promo.Checkout{Order: order("a", line("beans", "beans", "9999.99", false))},
			nil, "", promo.ErrMinimumOrder},
		{"promotional offers get nothing",
			promo.Checkout{Order: order("a", line("beans", "beans", "8000", false), line("bundle", "machines", "3000", true))},
			[]int{0}, "8000", nil},
		{"only promotional offers",
			promo.Checkout{Order: order("a", line("bundle", "machines", "12000", true))},
			nil, "", promo.ErrNotApplicable},
		{"not with R1",
			promo.Checkout{Order: order("a", line("beans", "beans", "12000", false)), Promotions: []loyalty.CampaignID{"R1"}},
			nil, "", promo.ErrNotCombinable},
		{"with another promotion",
			promo.Checkout{Order: order("a", line("beans", "beans", "12000", false)), Promotions: []loyalty.CampaignID{"R2", "skidka30"}},
			[]int{0}, "12000", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := promo.Evaluate(d, code, tt.co, now)
			if tt.wantRefuse != nil {
				if !errors.Is(err, tt.wantRefuse) || !promo.IsRefusal(err) {
					t.Fatalf("Evaluate = %v, want %v", err, tt.wantRefuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := promo.Grant{Code: "SKIDKA30", Definition: "skidka30", Promotion: "skidka30", Benefit: d.Benefit,
				Lines: tt.wantLines, Eligible: rub(tt.eligible)}
			if diff := cmp.Diff(want, g); diff != "" {
				t.Errorf("grant (-want +got):\n%s", diff)
			}
		})
	}
}

// The coffee shop's extra 500 off every coffee-machine offer, including bundles that are
// already discounted: scoped to a category, stacking on promotional items.
func TestCoffeeShopMachineBonusStacks(t *testing.T) {
	d := promo.Definition{ID: "machine500", Kind: promo.Shareable, Benefit: promo.Benefit{Amount: rub("500")},
		Conditions: promo.Conditions{Include: promo.Scope{Categories: []loyalty.CategoryID{"machines"}}}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	co := promo.Checkout{Order: order("a", line("beans", "beans", "900", false), line("bundle", "machines", "25000", true))}
	g, err := promo.Evaluate(d, promo.Code{Code: "MACHINE500", Definition: d.ID}, co, co.Order.PlacedAt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1}, g.Lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	only := promo.Checkout{Order: order("a", line("beans", "beans", "900", false))}
	if _, err := promo.Evaluate(d, promo.Code{Code: "MACHINE500", Definition: d.ID}, only, co.Order.PlacedAt); !errors.Is(err, promo.ErrNotApplicable) {
		t.Errorf("no machine in the order: %v, want ErrNotApplicable", err)
	}
}

func TestEvaluateConditions(t *testing.T) {
	base := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 100}}
	co := promo.Checkout{Order: order("acme", line("a", "tools", "100", false), line("b", "paint", "50", false)), Tier: "gold", Segments: []string{"retail", "north"}}
	win, err := promo.Days("2026-11-01", "2026-11-30", moscow)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, moscow)
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, moscow)
	tests := []struct {
		name   string
		edit   func(d *promo.Definition, c *promo.Code, co *promo.Checkout)
		now    time.Time
		want   error
		wantLn []int
	}{
		{"no conditions", nil, start, nil, []int{0, 1}},
		{"window: first instant", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Valid = win }, start, nil, []int{0, 1}},
		{"window: before", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Valid = win }, start.Add(-time.Nanosecond), promo.ErrNotYetValid, nil},
		{"window: last instant of 30 November in Moscow", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Valid = win }, end.Add(-time.Nanosecond), nil, []int{0, 1}},
		{"window: 1 December in Moscow, still 30 November in UTC", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Valid = win }, end, promo.ErrCodeExpired, nil},
		{"code window narrows", func(_ *promo.Definition, c *promo.Code, _ *promo.Checkout) { c.Valid = promo.Window{Until: start} }, start, promo.ErrCodeExpired, nil},
		{"personal code of another account", func(_ *promo.Definition, c *promo.Code, _ *promo.Checkout) { c.Account = "rival" }, start, promo.ErrForeignAccount, nil},
		{"personal code of another account, expired too: foreign first", func(_ *promo.Definition, c *promo.Code, _ *promo.Checkout) {
			c.Account, c.Valid = "rival", promo.Window{Until: start}
		}, start, promo.ErrForeignAccount, nil},
		{"personal code of this account", func(_ *promo.Definition, c *promo.Code, _ *promo.Checkout) { c.Account = "acme" }, start, nil, []int{0, 1}},
		{"personal kind without an owner", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Kind = promo.Personal }, start, promo.ErrForeignAccount, nil},
		{"eligible accounts", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.Accounts = []loyalty.AccountID{"x", "y"}
		}, start, promo.ErrNotEligible, nil},
		{"eligible accounts include", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.Accounts = []loyalty.AccountID{"x", "acme"}
		}, start, nil, []int{0, 1}},
		{"tier", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Tiers = []string{"silver"} }, start, promo.ErrNotEligible, nil},
		{"tier ok", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.Tiers = []string{"silver", "gold"}
		}, start, nil, []int{0, 1}},
		{"segment", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Segments = []string{"south"} }, start, promo.ErrNotEligible, nil},
		{"segment ok", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.Segments = []string{"north"} }, start, nil, []int{0, 1}},
		{"first order only, second order", func(d *promo.Definition, _ *promo.Code, co *promo.Checkout) {
			d.Conditions.FirstOrderOnly, co.PriorOrders = true, 1
		}, start, promo.ErrFirstOrderOnly, nil},
		{"first order only, first order", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) { d.Conditions.FirstOrderOnly = true }, start, nil, []int{0, 1}},
		{"exclusive", func(d *promo.Definition, _ *promo.Code, co *promo.Checkout) {
			d.Conditions.Exclusive, co.Promotions = true, []loyalty.CampaignID{"any"}
		}, start, promo.ErrNotCombinable, nil},
		{"include by tag", func(d *promo.Definition, _ *promo.Code, co *promo.Checkout) {
			d.Conditions.Include.Tags = []string{"new"}
			co.Order.Lines[1].Tags = []string{"new"}
		}, start, nil, []int{1}},
		{"exclude by sku", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.Exclude.SKUs = []loyalty.SKU{"a"}
		}, start, nil, []int{1}},
		{"min eligible", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.Exclude.SKUs, d.Conditions.MinEligible = []loyalty.SKU{"a"}, rub("60")
		}, start, promo.ErrMinimumOrder, nil},
		{"amount benefit in another currency", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Benefit = promo.Benefit{Amount: loyalty.MustMoney("10", "USD")}
		}, start, promo.ErrNotApplicable, nil},
		{"amount benefit in the order currency", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Benefit = promo.Benefit{Amount: rub("10")}
		}, start, nil, []int{0, 1}},
		{"min order in another currency", func(d *promo.Definition, _ *promo.Code, _ *promo.Checkout) {
			d.Conditions.MinOrder = loyalty.MustMoney("10", "USD")
		}, start, promo.ErrMinimumOrder, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, c, co := base, promo.Code{Code: "X", Definition: "d"}, co
			co.Order.Lines = append([]loyalty.Line(nil), co.Order.Lines...)
			if tt.edit != nil {
				tt.edit(&d, &c, &co)
			}
			if err := d.Validate(); err != nil {
				t.Fatalf("definition: %v", err)
			}
			g, err := promo.Evaluate(d, c, co, tt.now)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Evaluate = %v, want %v", err, tt.want)
				}
				if strings.Contains(err.Error(), "rival") {
					t.Errorf("refusal %q names the code's owner", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLn, g.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateRefusesBadOrders(t *testing.T) {
	d := promo.Definition{ID: "d", Kind: promo.Shareable, Benefit: promo.Benefit{Points: 1}}
	bad := order("", line("a", "", "-1", false))
	_, err := promo.Evaluate(d, promo.Code{Code: "X", Definition: "d"}, promo.Checkout{Order: bad, PriorOrders: -1}, time.Now())
	if !errors.Is(err, loyalty.ErrInvalid) || promo.IsRefusal(err) {
		t.Fatalf("Evaluate(bad order) = %v, want ErrInvalid", err)
	}
	for _, field := range []string{"order.account", "order.lines[0].unit_price", "prior_orders"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestDefinitionValidate(t *testing.T) {
	ok := promo.Definition{ID: "d", Benefit: promo.Benefit{Points: 10}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal definition: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(d *promo.Definition)
		field string
	}{
		{"no id", func(d *promo.Definition) { d.ID = "" }, "id: is required"},
		{"bad kind", func(d *promo.Definition) { d.Kind = "lottery" }, "kind: must be one of"},
		{"no benefit", func(d *promo.Definition) { d.Benefit = promo.Benefit{} }, "benefit: exactly one of"},
		{"two benefits", func(d *promo.Definition) { d.Benefit.Ref = "x" }, "benefit: exactly one of"},
		{"percent over 100", func(d *promo.Definition) { d.Benefit = promo.Benefit{Percent: decimal.NewFromInt(101)} }, "benefit.percent: must be more than 0"},
		{"negative percent", func(d *promo.Definition) { d.Benefit = promo.Benefit{Percent: decimal.NewFromInt(-1)} }, "benefit.percent:"},
		{"negative amount", func(d *promo.Definition) { d.Benefit = promo.Benefit{Amount: rub("-5")} }, "benefit.amount: must be positive"},
		{"zero amount with currency", func(d *promo.Definition) {
			d.Benefit = promo.Benefit{Amount: loyalty.Zero(loyalty.MustCurrency("RUB"))}
		}, "benefit.amount: must be positive"},
		{"negative points", func(d *promo.Definition) { d.Benefit = promo.Benefit{Points: -1} }, "benefit.points: must be positive"},
		{"negative min order", func(d *promo.Definition) { d.Conditions.MinOrder = rub("-1") }, "conditions.min_order: must be positive"},
		{"empty window", func(d *promo.Definition) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			d.Conditions.Valid = promo.Window{From: t0, Until: t0}
		}, "conditions.valid.until: must be after"},
		{"empty sku", func(d *promo.Definition) { d.Conditions.Exclude.SKUs = []loyalty.SKU{""} }, "conditions.exclude.skus[0]: must not be empty"},
		{"empty not_with", func(d *promo.Definition) { d.Conditions.NotWith = []loyalty.CampaignID{"R1", ""} }, "conditions.not_with[1]: must not be empty"},
		{"negative limit", func(d *promo.Definition) { d.Limits.PerAccount = -1 }, "limits.per_account: must not be negative"},
		{"period missing", func(d *promo.Definition) { d.Limits.PerPeriod = 5 }, "limits.period: is required"},
		{"period unknown", func(d *promo.Definition) { d.Limits.Period = "fortnight" }, "limits.period: must be one of"},
		{"single-use twice", func(d *promo.Definition) { d.Limits.PerCode = 2 }, "limits.per_code: must be 1"},
		{"multi-use without limit", func(d *promo.Definition) { d.Kind = promo.MultiUse }, "limits.per_code: must be at least 2"},
		{"issuance without days", func(d *promo.Definition) { d.Issuance = promo.Issuance{ValidMonths: 2} }, "issuance.days_of_month: must not be empty"},
		{"issuance bad day", func(d *promo.Definition) { d.Issuance = promo.Issuance{DaysOfMonth: []int{15, 32}, ValidDays: 1} }, "issuance.days_of_month[1]: must be from 1 to 31 (got 32)"},
		{"issuance repeated day", func(d *promo.Definition) { d.Issuance = promo.Issuance{DaysOfMonth: []int{15, 15}, ValidDays: 1} }, "issuance.days_of_month[1]: must not repeat"},
		{"issuance without validity", func(d *promo.Definition) { d.Issuance = promo.Issuance{DaysOfMonth: []int{15}} }, "issuance.valid_months:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			tt.edit(&d)
			err := d.Validate()
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate = %q, want it to contain %q", err, tt.field)
			}
		})
	}
}

func TestDays(t *testing.T) {
	w, err := promo.Days("2026-12-01", "2026-12-31", moscow)
	if err != nil {
		t.Fatal(err)
	}
	want := promo.Window{From: time.Date(2026, 12, 1, 0, 0, 0, 0, moscow), Until: time.Date(2027, 1, 1, 0, 0, 0, 0, moscow)}
	if !w.From.Equal(want.From) || !w.Until.Equal(want.Until) {
		t.Errorf("Days = %v, want %v", w, want)
	}
	// New Year's Eve, 22:00 UTC, is already 1 January in Moscow.
	if w.Contains(time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC)) {
		t.Error("window contains 1 January 01:00 Moscow time")
	}
	for _, bad := range [][2]string{{"2026-12-31", "2026-12-01"}, {"2026-13-01", "2026-12-31"}, {"2026-12-01", "31.12.2026"}} {
		if _, err := promo.Days(bad[0], bad[1], moscow); !errors.Is(err, loyalty.ErrInvalid) {
			t.Errorf("Days(%q, %q) = %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
	if _, err := promo.Days("2026-12-01", "2026-12-31", nil); !errors.Is(err, loyalty.ErrInvalid) {
		t.Errorf("Days without a location = %v, want ErrInvalid", err)
	}
}
