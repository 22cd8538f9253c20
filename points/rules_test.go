package points_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func order(lines ...loyalty.Line) loyalty.Order {
	return loyalty.Order{ID: "o1", Account: "acme", Currency: rub, PlacedAt: t0, Lines: lines}
}

func TestPlan(t *testing.T) {
	fuel := points.Rate{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: dec("10")}
	shop := points.Rate{Categories: []loyalty.CategoryID{"shop"}, Points: 3, Per: dec("10")}
	ticket := points.Rate{ShareOfPrice: dec("0.05")}
	giftCard := line("gift", "shop", "1", "500.00")
	giftCard.Tags = []string{"gift-card"}
	promoted := line("promo", "shop", "1", "100.00")
	promoted.OnPromotion = true
	tests := []struct {
		name       string
		rules      points.Rules
		order      loyalty.Order
		multiplier string
		want       []points.Points // per line
		rates      []int           // rate index per line
	}{
		{"fuel: 1 point per full 10 (2,216.00)", points.Rules{Rates: []points.Rate{fuel}},
			order(line("ai95", "fuel", "40", "55.40")), "", []points.Points{221}, []int{0}},
		{"shop: 3 points per full 10 (149.00 is 14 blocks)", points.Rules{Rates: []points.Rate{fuel, shop}},
			order(line("coffee", "shop", "1", "149.00")), "", []points.Points{42}, []int{1}},
		{"9.99 is not a full block", points.Rules{Rates: []points.Rate{fuel}},
			order(line("ai95", "fuel", "1", "9.99")), "", []points.Points{0}, []int{0}},
		{"blocks count the order's lines under one rate together, split back by value",
			points.Rules{Rates: []points.Rate{shop}},
			order(line("a", "shop", "1", "7.00"), line("b", "shop", "1", "7.00")), "", []points.Points{2, 1}, []int{0, 0}},
		{"each rate floors its own lines", points.Rules{Rates: []points.Rate{fuel, shop}},
			order(line("ai95", "fuel", "40", "55.40"), line("coffee", "shop", "1", "149.00")), "", []points.Points{221, 42}, []int{0, 1}},
		{"5% of the ticket price", points.Rules{Rates: []points.Rate{ticket}},
			order(line("flight", "air", "1", "9000.00")), "", []points.Points{450}, []int{0}},
		{"a fraction of a point rounds half-up by default (499.995)", points.Rules{Rates: []points.Rate{ticket}},
			order(line("flight", "air", "1", "9999.90")), "", []points.Points{500}, []int{0}},
		{"rounding down never rounds a point up (499.995)", points.Rules{Rates: []points.Rate{ticket}, Rounding: loyalty.Down},
			order(line("flight", "air", "1", "9999.90")), "", []points.Points{499}, []int{0}},
		{"a tier's ×1.5 multiplies the blocks' points, rounded once (331.5)", points.Rules{Rates: []points.Rate{fuel}},
			order(line("ai95", "fuel", "40", "55.40")), "1.5", []points.Points{332}, []int{0}},
		{"×1.5 rounded down", points.Rules{Rates: []points.Rate{fuel}, Rounding: loyalty.Down},
			order(line("ai95", "fuel", "40", "55.40")), "1.5", []points.Points{331}, []int{0}},
		{"×2 on a share of price", points.Rules{Rates: []points.Rate{ticket}},
			order(line("flight", "air", "1", "9000.00")), "2", []points.Points{900}, []int{0}},
		{"per whole unit: 2.5 units earn for 2", points.Rules{Rates: []points.Rate{{PerUnit: 10}}},
			order(line("tyre", "tyres", "2.5", "100.00")), "", []points.Points{20}, []int{0}},
		{"the first matching rate wins", points.Rules{Rates: []points.Rate{{SKUs: []loyalty.SKU{"ai100"}, Points: 2, Per: dec("10")}, fuel}},
			order(line("ai100", "fuel", "1", "1000.00"), line("ai95", "fuel", "1", "1000.00")), "", []points.Points{200, 100}, []int{0, 1}},
		{"a rate scoped by tag", points.Rules{Rates: []points.Rate{{Tags: []string{"business"}, ShareOfPrice: dec("0.1")}}},
			order(loyalty.Line{SKU: "j", Tags: []string{"business"}, Quantity: loyalty.MustQuantity("1"), UnitPrice: loyalty.MustPrice("1000", "RUB")},
				line("y", "air", "1", "1000.00")), "", []points.Points{100, 0}, []int{0, -1}},
		{"no rate matches", points.Rules{Rates: []points.Rate{fuel}},
			order(line("bolt", "hardware", "10", "3.00")), "", []points.Points{0}, []int{-1}},
		{"exclusions: promotions and gift cards earn nothing", points.Rules{Rates: []points.Rate{shop},
			Exclude: points.Exclusions{Promotions: true, Tags: []string{"gift-card"}}},
			order(promoted, giftCard, line("coffee", "shop", "1", "149.00")), "", []points.Points{0, 0, 42}, []int{-1, -1, 0}},
		{"exclusion by category and SKU", points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("1")}},
			Exclude: points.Exclusions{Categories: []loyalty.CategoryID{"tobacco"}, SKUs: []loyalty.SKU{"lottery"}}},
			order(line("cig", "tobacco", "1", "10"), line("lottery", "shop", "1", "10"), line("tea", "shop", "1", "10")), "",
			[]points.Points{0, 0, 10}, []int{-1, -1, 0}},
		{"no bonus when every line is excluded", points.Rules{OrderBonus: 100, Exclude: points.Exclusions{Tags: []string{"gift-card"}}},
			order(giftCard), "", []points.Points{0}, []int{-1}},
		{"an order bonus is split over eligible lines by value, not multiplied", points.Rules{OrderBonus: 100,
			Exclude: points.Exclusions{Tags: []string{"gift-card"}}},
			order(line("a", "x", "1", "300.00"), giftCard, line("b", "x", "1", "100.00")), "2", []points.Points{75, 0, 25}, []int{-1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decimal.Zero
			if tt.multiplier != "" {
				m = dec(tt.multiplier)
			}
			p, err := tt.rules.Plan(tt.order, m)
			if err != nil {
				t.Fatal(err)
			}
			var got []points.Points
			var rates []int
			var total points.Points
			for _, l := range p.Lines {
				got = append(got, l.Points)
				rates = append(rates, l.Rate)
				total += l.Points
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("line points (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.rates, rates); d != "" {
				t.Errorf("rates (-want +got):\n%s", d)
			}
			if p.Total != total || p.Order != tt.order.ID {
				t.Errorf("plan total %d, order %q; want %d, %q", p.Total, p.Order, total, tt.order.ID)
			}
			for i, l := range p.Lines {
				if !l.Quantity.Equal(tt.order.Lines[i].Quantity) {
					t.Errorf("lines[%d].quantity = %s, want %s", i, l.Quantity, tt.order.Lines[i].Quantity)
				}
			}
			if err := p.Validate(); err != nil {
				t.Errorf("a computed plan does not validate: %v", err)
			}
		})
	}
}

func TestPlanExcludedFlag(t *testing.T) {
	gift := line("gift", "shop", "1", "500.00")
	gift.Tags = []string{"gift-card"}
	p, err := points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("10")}}, Exclude: points.Exclusions{Tags: []string{"gift-card"}}}.
		Plan(order(gift, line("a", "shop", "1", "50")), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Lines[0].Excluded || p.Lines[1].Excluded {
		t.Errorf("excluded flags = %v, %v; want true, false", p.Lines[0].Excluded, p.Lines[1].Excluded)
	}
}

func TestPlanBadInput(t *testing.T) {
	rules := points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("10")}}}
	tests := []struct {
		name       string
		rules      points.Rules
		order      loyalty.Order
		multiplier decimal.Decimal
		want       string
	}{
		{"order without lines", rules, order(), decimal.Zero, "lines: must not be empty"},
		{"line without quantity", rules, order(loyalty.Line{SKU: "a", UnitPrice: loyalty.MustPrice("1", "RUB")}), decimal.Zero, "lines[0].quantity: must be positive"},
		{"negative multiplier", rules, order(line("a", "x", "1", "10")), dec("-1.5"), "multiplier: must be positive (got -1.5)"},
		{"invalid rules", points.Rules{Rates: []points.Rate{{Points: 1}}}, order(line("a", "x", "1", "10")), decimal.Zero, "rates[0].per: must be positive (got 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rules.Plan(tt.order, tt.multiplier)
			if !errors.Is(err, loyalty.ErrInvalid) || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan error = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPlanEvent(t *testing.T) {
	rules := points.Rules{Events: []points.EventRule{{Event: "course-completed", Points: 500}, {Event: "cartridge-recycled", Points: 100}}}
	p, err := rules.PlanEvent("cartridge-recycled", 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(points.Plan{Event: "cartridge-recycled", Total: 300}, p); d != "" {
		t.Errorf("PlanEvent (-want +got):\n%s", d)
	}
	for _, tt := range []struct {
		event string
		count int64
		want  string
	}{
		{"contract-signed", 1, "event: is not an earning event of the program (got contract-signed)"},
		{"course-completed", 0, "count: must be positive (got 0)"},
		{"course-completed", -2, "count: must be positive (got -2)"},
	} {
		if _, err := rules.PlanEvent(tt.event, tt.count); !errors.Is(err, loyalty.ErrInvalid) || err.Error() != tt.want {
			t.Errorf("PlanEvent(%q, %d) = %v, want %q", tt.event, tt.count, err, tt.want)
		}
	}
	if _, err := rules.PlanEvent("course-completed", 1<<62); !errors.Is(err, loyalty.ErrOverflow) {
		t.Errorf("PlanEvent with a huge count = %v, want ErrOverflow", err)
	}
}

// TestPlanTotalOverflow checks that lines whose points fit an int64 but whose sum does not
// are an overflow naming the addition, from Rules.Plan and from a Planner alike.
func TestPlanTotalOverflow(t *testing.T) {
	rules := points.Rules{Rates: []points.Rate{{PerUnit: 5e17}}} // 10 units: 5e18 points a line
	o := order(line("a", "x", "10", "1"), line("b", "x", "10", "1"))
	const want = "points: loyalty: amount out of range: 5000000000000000000 + 5000000000000000000"
	if _, err := rules.Plan(o, decimal.Zero); !errors.Is(err, loyalty.ErrOverflow) || err.Error() != want {
		t.Errorf("Rules.Plan = %v, want %q", err, want)
	}
	p, err := points.NewPlanner(rules)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.PlanPair(o, decimal.Zero, dec("0.5")); !errors.Is(err, loyalty.ErrOverflow) || err.Error() != want {
		t.Errorf("Planner.PlanPair = %v, want %q", err, want)
	}
	// At ×0.5 the sum fits: 2.5e18 a line.
	if got, err := p.Plan(o, dec("0.5")); err != nil || got.Total != 5e18 {
		t.Errorf("Planner.Plan at ×0.5 = %d, %v; want 5e18 points", got.Total, err)
	}
}

func TestRulesValidate(t *testing.T) {
	ok := points.Rate{Points: 1, Per: dec("10")}
	tests := []struct {
		name  string
		rules points.Rules
		want  []string
	}{
		{"block without size", points.Rules{Rates: []points.Rate{ok, {Points: 1}}}, []string{"rates[1].per: must be positive (got 0)"}},
		{"block with negative points", points.Rules{Rates: []points.Rate{{Points: -1, Per: dec("10")}}}, []string{"rates[0].points: must be positive (got -1)"}},
		{"rate that earns nothing", points.Rules{Rates: []points.Rate{{}}}, []string{"rates[0].points: is required: set points and per, share_of_price, or per_unit"}},
		{"two ways at once", points.Rules{Rates: []points.Rate{{Points: 1, Per: dec("10"), PerUnit: 2}}}, []string{"rates[0].points: set only one of points and per, share_of_price, per_unit"}},
		{"negative share", points.Rules{Rates: []points.Rate{{ShareOfPrice: dec("-0.05")}}}, []string{"rates[0].share_of_price: must be positive (got -0.05)"}},
		{"empty tag", points.Rules{Rates: []points.Rate{{Tags: []string{""}, PerUnit: 1}}, Exclude: points.Exclusions{Tags: []string{""}}},
			[]string{"rates[0].tags[0]: must not be empty", "exclude.tags[0]: must not be empty"}},
		{"negative bonus and pending days", points.Rules{OrderBonus: -5, PendingDays: -1},
			[]string{"order_bonus: must not be negative (got -5)", "pending_days: must not be negative (got -1)"}},
		{"events", points.Rules{Events: []points.EventRule{{Event: "course", Points: 1}, {Event: "course", Points: 0}, {Points: 1}}},
			[]string{"events[1].event: is listed twice (got course)", "events[1].points: must be positive (got 0)", "events[2].event: is required"}},
		{"cap", points.Rules{Cap: points.Cap{Period: "fortnight"}},
			[]string{"cap.points: must be positive (got 0)", "cap.period: must be one of day, week, month, quarter, half-year, year (got fortnight)"}},
		{"expiry", points.Rules{Expiry: points.Expiry{Months: -1, RoundTo: "decade"}},
			[]string{"expiry.months: must not be negative (got -1)", "expiry.round_to: must be one of day, week, month, quarter, half-year, year (got decade)"}},
		{"rounding to a period without a term", points.Rules{Expiry: points.Expiry{RoundTo: loyalty.Month}}, []string{"expiry.round_to: needs months or days (got month)"}},
		{"rounding mode", points.Rules{Rounding: 42}, []string{"rounding: unknown rounding mode (got RoundingMode(42))"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			got := strings.Split(err.Error(), "\n")
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
	valid := fuelCardRules()
	valid.Cap = points.Cap{Points: 100}
	valid.Events = []points.EventRule{{Event: "course", Points: 50}}
	if err := valid.Validate(); err != nil {
		t.Errorf("valid rules: %v", err)
	}
}

func TestExpiryUntil(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	tests := []struct {
		name   string
		expiry points.Expiry
		earned string
		loc    *time.Location
		want   string // RFC 3339 in the location
	}{
		{"never", points.Expiry{}, "2026-01-31T12:00:00Z", nil, ""},
		{"31 January + 1 month: usable through 28 February", points.Expiry{Months: 1}, "2026-01-31T12:00:00Z", nil, "2026-03-01T00:00:00Z"},
		{"in a leap year through 29 February", points.Expiry{Months: 1}, "2028-01-31T12:00:00Z", nil, "2028-03-01T00:00:00Z"},
		{"mid-month + 1 month: through the same day", points.Expiry{Months: 1}, "2026-01-15T08:00:00Z", nil, "2026-02-16T00:00:00Z"},
		{"30 days", points.Expiry{Days: 30}, "2026-01-15T08:00:00Z", nil, "2026-02-15T00:00:00Z"},
		{"12 months from 29 February", points.Expiry{Months: 12}, "2028-02-29T08:00:00Z", nil, "2029-03-01T00:00:00Z"},
		{"rounded to the end of the month", points.Expiry{Months: 1, RoundTo: loyalty.Month}, "2026-01-10T08:00:00Z", nil, "2026-03-01T00:00:00Z"},
		{"rounded to the end of the quarter", points.Expiry{Months: 1, RoundTo: loyalty.Quarter}, "2026-01-10T08:00:00Z", nil, "2026-04-01T00:00:00Z"},
		{"rounded to the end of the year", points.Expiry{Months: 6, RoundTo: loyalty.Year}, "2026-08-10T08:00:00Z", nil, "2028-01-01T00:00:00Z"},
		// 31 January 22:30 UTC is already 1 February in Moscow: the local date counts, and the
		// points expire at local midnight (21:00 UTC), not at UTC midnight.
		{"Moscow: local date and local midnight", points.Expiry{Months: 1}, "2026-01-31T22:30:00Z", moscow, "2026-03-02T00:00:00+03:00"},
		{"Moscow: month end", points.Expiry{Months: 1, RoundTo: loyalty.Month}, "2026-01-31T22:30:00Z", moscow, "2026-04-01T00:00:00+03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.expiry.Until(mustTime(tt.earned), tt.loc)
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("Until = %v, want never", got)
				}
				return
			}
			if want := mustTime(tt.want); !got.Equal(want) {
				t.Errorf("Until = %v, want %v", got, want)
			}
		})
	}
}

func TestRateCashback(t *testing.T) {
	for _, tt := range []struct {
		rate  points.Rate
		value string
		want  string // "" when not defined
	}{
		{points.Rate{Points: 1, Per: dec("10")}, "1", "0.1"},
		{points.Rate{Points: 3, Per: dec("10")}, "0.5", "0.15"},
		{points.Rate{Points: 1, Per: dec("3")}, "1", "0.3333"},
		{points.Rate{ShareOfPrice: dec("0.05")}, "1", "0.05"},
		{points.Rate{ShareOfPrice: dec("0.05")}, "0.3", "0.015"},
		{points.Rate{PerUnit: 10}, "1", ""},
	} {
		got, ok := tt.rate.Cashback(dec(tt.value), 4)
		if ok != (tt.want != "") || ok && !got.Equal(dec(tt.want)) {
			t.Errorf("%+v at %s per point: cashback %s, %v; want %q", tt.rate, tt.value, got, ok, tt.want)
		}
	}
}

func TestRulesJSONRoundTrip(t *testing.T) {
	in := fuelCardRules()
	in.Rates = append(in.Rates, points.Rate{Tags: []string{"business"}, ShareOfPrice: dec("0.07")}, points.Rate{SKUs: []loyalty.SKU{"tyre"}, PerUnit: 10})
	in.Exclude = points.Exclusions{Promotions: true, Tags: []string{"gift-card"}}
	in.OrderBonus = 50
	in.Events = []points.EventRule{{Event: "course-completed", Points: 500}}
	in.Cap = points.Cap{Points: 100, Period: loyalty.Month}
	in.PendingDays = 14
	in.Expiry = points.Expiry{Months: 12, RoundTo: loyalty.Quarter}
	in.Rounding = loyalty.Down
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out points.Rules
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("rules after a JSON round trip (-want +got):\n%s\n%s", d, b)
	}
	red := points.Redemption{Currency: rub, PointValue: dec("0.25"), MaxShare: dec("0.2"), MinPoints: 100,
		Rewards: []points.Reward{{ID: "fuel-20l", Name: "20 litres of any fuel", Cost: 3999}}}
	b, err = json.Marshal(red)
	if err != nil {
		t.Fatal(err)
	}
	var red2 points.Redemption
	if err := json.Unmarshal(b, &red2); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(red, red2); d != "" {
		t.Errorf("redemption after a JSON round trip (-want +got):\n%s\n%s", d, b)
	}
}

func TestRateStringAndExplainBonus(t *testing.T) {
	for _, tt := range []struct {
		rate points.Rate
		want string
	}{
		{points.Rate{Points: 3, Per: dec("10"), Categories: []loyalty.CategoryID{"shop", "services"}}, "3 points per full 10 (shop, services)"},
		{points.Rate{PerUnit: 1, SKUs: []loyalty.SKU{"cartridge"}}, "1 point per whole unit (SKU cartridge)"},
		{points.Rate{ShareOfPrice: dec("0.075")}, "7.5% of the price"},
	} {
		if got := tt.rate.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	rules := points.Rules{Rates: []points.Rate{{Categories: []loyalty.CategoryID{"fuel"}, Points: 1, Per: dec("10")}}, OrderBonus: 10}
	o := order(line("ai95", "fuel", "1", "100.00"), line("tea", "shop", "1", "100.00"))
	plan, err := rules.Plan(o, decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ai95 (100.00 RUB): 15 points at 1 point per full 10 (fuel), with its share of the order bonus",
		"tea (100.00 RUB): 5 points, its share of the order bonus",
		"total: 20 points",
	}
	if d := cmp.Diff(want, rules.Explain(o, plan)); d != "" {
		t.Errorf("Explain (-want +got):\n%s", d)
	}
}
