package campaign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/tier"
	"github.com/shopspring/decimal"
)

var msk = mustLoc("Europe/Moscow")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// dropship is the dropshipping supplier of DOMAIN.md: before every holiday of its calendar,
// from 7 days before through the holiday, 5 % off gadgets (a money budget of 100,000) and
// 10 % off decorations (1,000 uses, 3 per account); a "fast transfer" perk for stores that
// have been customers for more than 6 months; 1 point per full 100.
func dropship() campaign.Program {
	holidays := []campaign.Date{"2026-12-31", "2027-02-23", "2027-03-08"}
	return campaign.Program{
		ID: "dropship", Currency: rub, TimeZone: "Europe/Moscow",
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1"), MaxShare: d("0.3")},
		Campaigns: []campaign.Campaign{
			{ID: "holiday-5", Name: "holiday gadgets", Schedule: campaign.Schedule{Holidays: holidays, DaysBefore: 7},
				Conditions: campaign.Conditions{Categories: []loyalty.CategoryID{"gadgets"}},
				Actions:    []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("5")}},
				Budget:     campaign.Budget{Money: m("100000")}},
			{ID: "holiday-10", Name: "holiday decorations", Schedule: campaign.Schedule{Holidays: holidays, DaysBefore: 7},
				Conditions: campaign.Conditions{Categories: []loyalty.CategoryID{"decor"}},
				Actions:    []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")}},
				Budget:     campaign.Budget{Uses: 1000, PerAccount: 3}},
			{ID: "fast-transfer", Schedule: campaign.Schedule{Start: "2026-01-01", End: "2030-12-31"},
				Audience: campaign.Audience{MinTenureMonths: 6},
				Actions:  []campaign.Action{{Kind: campaign.ActionPerk, Perk: "fast transfer"}}},
		},
	}
}

func TestScheduleActive(t *testing.T) {
	ny := mustLoc("America/New_York")
	oneOff := campaign.Schedule{Start: "2026-12-01", End: "2026-12-31"}
	holiday := campaign.Schedule{Holidays: []campaign.Date{"2026-12-31", "2027-03-08"}, DaysBefore: 7}
	after := campaign.Schedule{Holidays: []campaign.Date{"2026-03-08"}, DaysBefore: 1, DaysAfter: 2}
	bounded := campaign.Schedule{Holidays: []campaign.Date{"2026-12-31", "2027-03-08"}, DaysBefore: 7, End: "2027-01-31"}
	dst := campaign.Schedule{Holidays: []campaign.Date{"2026-03-09"}, DaysBefore: 1} // New York springs forward on 8 March 2026
	tests := []struct {
		name string
		s    campaign.Schedule
		at   time.Time
		loc  *time.Location
		want bool
	}{
		{"one-off: first instant of the start day in Moscow", oneOff, time.Date(2026, 12, 1, 0, 0, 0, 0, msk), msk, true},
		{"one-off: last instant before the start day", oneOff, time.Date(2026, 11, 30, 23, 59, 59, 0, msk), msk, false},
		{"one-off: the end day is included", oneOff, time.Date(2026, 12, 31, 23, 59, 59, 0, msk), msk, true},
		{"one-off: the day after the end", oneOff, time.Date(2027, 1, 1, 0, 0, 0, 0, msk), msk, false},
		{"one-off: 22:00 UTC on 31 Dec is already 1 Jan in Moscow", oneOff, time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC), msk, false},
		{"one-off: the same instant in UTC is still 31 Dec", oneOff, time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC), time.UTC, true},
		{"one-off: nil location means UTC", oneOff, time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC), nil, true},
		{"holiday: 8 days before", holiday, time.Date(2026, 12, 23, 23, 59, 0, 0, msk), msk, false},
		{"holiday: 7 days before, midnight", holiday, time.Date(2026, 12, 24, 0, 0, 0, 0, msk), msk, true},
		{"holiday: the holiday itself", holiday, time.Date(2026, 12, 31, 18, 0, 0, 0, msk), msk, true},
		{"holiday: the day after", holiday, time.Date(2027, 1, 1, 0, 0, 0, 0, msk), msk, false},
		{"holiday: between holidays", holiday, time.Date(2027, 2, 1, 12, 0, 0, 0, msk), msk, false},
		{"holiday: the second holiday's window", holiday, time.Date(2027, 3, 1, 0, 0, 0, 0, msk), msk, true},
		{"days after: second day after", after, time.Date(2026, 3, 10, 23, 0, 0, 0, msk), msk, true},
		{"days after: third day after", after, time.Date(2026, 3, 11, 0, 0, 0, 0, msk), msk, false},
		{"days after: the day before", after, time.Date(2026, 3, 7, 0, 0, 0, 0, msk), msk, true},
		{"bounded: first window inside the bounds", bounded, time.Date(2026, 12, 30, 0, 0, 0, 0, msk), msk, true},
		{"bounded: second window after the end", bounded, time.Date(2027, 3, 7, 0, 0, 0, 0, msk), msk, false},
		{"DST: the window starts at local midnight of a 23-hour day", dst, time.Date(2026, 3, 8, 0, 0, 0, 0, ny), ny, true},
		{"DST: one minute before", dst, time.Date(2026, 3, 7, 23, 59, 0, 0, ny), ny, false},
		{"DST: the holiday's last minute", dst, time.Date(2026, 3, 9, 23, 59, 0, 0, ny), ny, true},
		{"no end and no holidays covers nothing", campaign.Schedule{Start: "2026-01-01"}, time.Date(2026, 6, 1, 0, 0, 0, 0, msk), msk, false},
		{"a date that does not parse covers nothing", campaign.Schedule{End: "31.12.2026"}, time.Date(2026, 6, 1, 0, 0, 0, 0, msk), msk, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Active(tt.at, tt.loc); got != tt.want {
				t.Errorf("Active(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestCampaignValidateBad(t *testing.T) {
	usd := loyalty.MustMoney("10", "USD")
	base := func() campaign.Campaign {
		return campaign.Campaign{ID: "c", Schedule: campaign.Schedule{End: "2026-12-31"},
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 10}}}
	}
	tests := []struct {
		name   string
		change func(p *campaign.Program, c *campaign.Campaign)
		fields []string
	}{
		{"no end", func(_ *campaign.Program, c *campaign.Campaign) { c.Schedule.End = "" }, []string{"campaigns[1].schedule.end: is required unless"}},
		{"end before start", func(_ *campaign.Program, c *campaign.Campaign) { c.Schedule.Start = "2027-01-01" }, []string{"campaigns[1].schedule.end: must not be before start"}},
		{"bad dates", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Schedule = campaign.Schedule{Start: "2026-13-01", Holidays: []campaign.Date{"2026-12-31", "soon"}, DaysBefore: -1}
		}, []string{"campaigns[1].schedule.start:", "campaigns[1].schedule.holidays[1]:", "campaigns[1].schedule.days_before:"}},
		{"days before without holidays", func(_ *campaign.Program, c *campaign.Campaign) { c.Schedule.DaysBefore = 7 }, []string{"campaigns[1].schedule.holidays:"}},
		{"no id", func(_ *campaign.Program, c *campaign.Campaign) { c.ID = "" }, []string{"campaigns[1].id: is required"}},
		{"duplicate id", func(_ *campaign.Program, c *campaign.Campaign) { c.ID = "holiday-5" }, []string{"campaigns[1].id:"}},
		{"budget in dollars", func(_ *campaign.Program, c *campaign.Campaign) { c.Budget.Money = usd }, []string{"campaigns[1].budget.money: must be in the program currency RUB"}},
		{"negative budgets", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Budget = campaign.Budget{Money: m("-1"), Uses: -1, PerAccount: -2}
		}, []string{"campaigns[1].budget.money:", "campaigns[1].budget.uses:", "campaigns[1].budget.per_account:"}},
		{"min amount in dollars", func(_ *campaign.Program, c *campaign.Campaign) { c.Conditions.MinAmount = usd }, []string{"campaigns[1].conditions.min_amount:"}},
		{"no actions", func(_ *campaign.Program, c *campaign.Campaign) { c.Actions = nil }, []string{"campaigns[1].actions: must list"}},
		{"bad actions", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Actions = []campaign.Action{
				{Kind: campaign.ActionDiscount, Percent: d("5"), Amount: m("10")},
				{Kind: campaign.ActionDiscount, Percent: d("150")},
				{Kind: campaign.ActionPoints},
				{Kind: campaign.ActionMultiplier, Multiplier: d("1")},
				{Kind: campaign.ActionCode, Definition: "NOPE"},
				{Kind: campaign.ActionPerk},
				{Kind: "lottery"},
				{Kind: campaign.ActionPerk, Perk: "gift", Value: usd},
			}
		}, []string{"campaigns[1].actions[0]: a discount needs exactly one", "campaigns[1].actions[1].percent:",
			"campaigns[1].actions[1].kind: a campaign has at most one discount", "campaigns[1].actions[2].points:",
			"campaigns[1].actions[3].multiplier:", "campaigns[1].actions[4].definition:", "campaigns[1].actions[5].perk:",
			"campaigns[1].actions[6].kind:", "campaigns[1].actions[7].value:"}},
		{"points beyond range", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Actions = []campaign.Action{{Kind: campaign.ActionPoints, Points: math.MaxInt64 / 2}, {Kind: campaign.ActionPoints, Points: math.MaxInt64/2 + 2}}
		}, []string{"campaigns[1].actions: the points of its actions add up beyond the range of points"}},
		{"perk values beyond range", func(_ *campaign.Program, c *campaign.Campaign) {
			big := loyalty.MustMoney("50000000000000000", "RUB") // 5·10¹⁸ minor units: two exceed int64
			c.Actions = []campaign.Action{{Kind: campaign.ActionPerk, Perk: "car", Value: big}, {Kind: campaign.ActionPerk, Perk: "boat", Value: big}}
		}, []string{"campaigns[1].actions: the values of its perks add up beyond the range of amounts"}},
		{"amount off in dollars", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Actions = []campaign.Action{{Kind: campaign.ActionDiscount, Amount: usd}}
		}, []string{"campaigns[1].actions[0].amount:"}},
		{"unknown tier", func(_ *campaign.Program, c *campaign.Campaign) { c.Audience.Tiers = []string{"Platinum"} }, []string{"campaigns[1].audience.tiers[0]:"}},
		{"newcomers with tenure", func(_ *campaign.Program, c *campaign.Campaign) {
			c.Audience.Newcomers, c.Audience.MinTenureMonths = true, 6
		}, []string{"campaigns[1].audience.newcomers:"}},
		{"bad chance", func(_ *campaign.Program, c *campaign.Campaign) { c.Chance = &campaign.Chance{Wins: 5, OutOf: 4} }, []string{"campaigns[1].chance:"}},
		{"reserved discount id", func(p *campaign.Program, _ *campaign.Campaign) {
			p.Discounts.Discounts[0].ID = "campaign:x"
		}, []string{"discounts.discounts[0].id: must not start with the reserved prefix campaign:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := reference()
			p.Campaigns = []campaign.Campaign{dropship().Campaigns[0], base()}
			tt.change(&p, &p.Campaigns[1])
			err := p.Validate()
			if err == nil {
				t.Fatal("Validate accepted the program")
			}
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("error does not match loyalty.ErrInvalid: %v", err)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error does not name %q:\n%v", f, err)
				}
			}
		})
	}
	// The base campaign itself is valid, and so is a recurring one without an end.
	p := reference()
	p.Campaigns = []campaign.Campaign{base(), dropship().Campaigns[0]}
	if err := p.Validate(); err != nil {
		t.Errorf("valid campaigns refused: %v", err)
	}
}

func TestCampaignProgramJSON(t *testing.T) {
	for name, p := range map[string]campaign.Program{"dropship": dropship(), "reference with campaigns": referenceCampaigns()} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := campaign.LoadProgram(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("LoadProgram: %v\n%s", err, b)
			}
			if diff := cmp.Diff(p, got, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	// Unknown fields inside a campaign are refused; a campaign without end too.
	for _, bad := range []string{
		`{"id":"p","currency":"RUB","campaigns":[{"id":"c","schedule":{"end":"2026-12-31"},"actions":[{"kind":"perk","perk":"x"}],"colour":"red"}]}`,
		`{"id":"p","currency":"RUB","campaigns":[{"id":"c","schedule":{},"actions":[{"kind":"perk","perk":"x"}]}]}`,
	} {
		if _, err := campaign.LoadProgram(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadProgram accepted %s", bad)
		}
	}
}

// points1 is a program earning 1 point per full 100, with tiers (Silver from 20,000 spent,
// points ×2) and the given campaigns.
func points1(cs ...campaign.Campaign) campaign.Program {
	return campaign.Program{
		ID: "p", Currency: rub, TimeZone: "Europe/Moscow",
		Tiers: &tier.Ladder{Currency: rub, Levels: []tier.Level{
			{Name: "Blue"},
			{Name: "Silver", Threshold: tier.Amount{Spend: m("20000")}, Benefits: tier.Benefits{EarnMultiplier: d("2")}},
		}},
		Earning:    points.Rules{Rates: []points.Rate{{Points: 1, Per: d("100")}}},
		Redemption: points.Redemption{Currency: rub, PointValue: d("1"), MaxShare: d("0.5")},
		Codes: promo.Rules{Definitions: []promo.Definition{{ID: "THANKS", Kind: promo.Personal,
			Benefit: promo.Benefit{Percent: d("5")}}}},
		Campaigns: cs,
	}
}

// bonus is a campaign giving 50 points in March 2026.
func bonus(id string) campaign.Campaign {
	return campaign.Campaign{ID: loyalty.CampaignID(id), Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 50}}}
}

func outcome(t *testing.T, q campaign.Quote, id string) campaign.CampaignOutcome {
	t.Helper()
	for _, c := range q.Campaigns {
		if string(c.ID) == id {
			return c
		}
	}
	t.Fatalf("campaign %s not in the quote: %+v", id, q.Campaigns)
	return campaign.CampaignOutcome{}
}

func TestCampaignAudience(t *testing.T) {
	with := func(a campaign.Audience) campaign.Campaign { c := bonus("c"); c.Audience = a; return c }
	tests := []struct {
		name     string
		aud      campaign.Audience
		account  string
		segments []string
		history  bool // the account committed an order of 25,000 on 1 September 2025 (Silver)
		want     bool
	}{
		{"everyone", campaign.Audience{}, "acme", nil, false, true},
		{"tier matches", campaign.Audience{Tiers: []string{"Silver"}}, "acme", nil, true, true},
		{"tier does not match", campaign.Audience{Tiers: []string{"Silver"}}, "acme", nil, false, false},
		{"segment listed by the caller", campaign.Audience{Segments: []string{"b2b", "horeca"}}, "acme", []string{"retail", "horeca"}, false, true},
		{"segment not listed", campaign.Audience{Segments: []string{"horeca"}}, "acme", []string{"retail"}, false, false},
		{"newcomer without orders", campaign.Audience{Newcomers: true}, "acme", nil, false, true},
		{"newcomer with an order", campaign.Audience{Newcomers: true}, "acme", nil, true, false},
		{"personal promotion, its account", campaign.Audience{Account: "acme"}, "acme", nil, false, true},
		{"personal promotion, another account", campaign.Audience{Account: "acme"}, "other", nil, false, false},
		{"tenure 6 months, customer since September", campaign.Audience{MinTenureMonths: 6}, "acme", nil, true, true},
		{"tenure 7 months, customer since September", campaign.Audience{MinTenureMonths: 7}, "acme", nil, true, false},
		{"tenure without any order", campaign.Audience{MinTenureMonths: 1}, "acme", nil, false, false},
		{"every condition at once", campaign.Audience{Tiers: []string{"Silver"}, Segments: []string{"b2b"}, Account: "acme", MinTenureMonths: 6}, "acme", []string{"b2b"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newEngine(t, points1(with(tt.aud)))
			if tt.history {
				clock.Set(time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC))
				commit(t, e, evaluate(t, e, order("h", tt.account, clock.Now(), line("x", "tools", "1", "25000", "")), campaign.EvaluateOptions{}))
			}
			clock.Set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) // 6 months after 1 September, to the day
			q := evaluate(t, e, order("o", tt.account, clock.Now(), line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{Segments: tt.segments})
			c := outcome(t, q, "c")
			if c.Applied != tt.want {
				t.Fatalf("applied = %v, want %v (%s)", c.Applied, tt.want, c.Message)
			}
			wantBonus := points.Points(0)
			if tt.want {
				wantBonus = 50
			} else if c.Reason != "audience" {
				t.Errorf("reason = %q, want audience", c.Reason)
			}
			if q.Earnings[0].Bonus != wantBonus {
				t.Errorf("bonus = %d, want %d", q.Earnings[0].Bonus, wantBonus)
			}
		})
	}
}

func TestCampaignConditions(t *testing.T) {
	lines := []loyalty.Line{line("drill", "tools", "2", "3000", ""), line("tape", "misc", "10", "50", ""), line("saw", "tools", "1", "1500", "")}
	tests := []struct {
		name  string
		cond  campaign.Conditions
		want  bool
		lines []int
	}{
		{"none: every line", campaign.Conditions{}, true, []int{0, 1, 2}},
		{"category", campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}}, true, []int{0, 2}},
		{"SKU", campaign.Conditions{SKUs: []loyalty.SKU{"tape"}}, true, []int{1}},
		{"category or SKU", campaign.Conditions{Categories: []loyalty.CategoryID{"misc"}, SKUs: []loyalty.SKU{"saw"}}, true, []int{1, 2}},
		{"no line eligible", campaign.Conditions{Categories: []loyalty.CategoryID{"food"}}, false, nil},
		{"amount of eligible lines reached exactly", campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}, MinAmount: m("7500")}, true, []int{0, 2}},
		{"amount of eligible lines not reached", campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}, MinAmount: m("7500.01")}, false, []int{0, 2}},
		{"order amount", campaign.Conditions{MinAmount: m("8000")}, true, []int{0, 1, 2}},
		{"quantity reached", campaign.Conditions{SKUs: []loyalty.SKU{"tape"}, MinQuantity: qty("10")}, true, []int{1}},
		{"quantity not reached", campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}, MinQuantity: qty("3.5")}, false, []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bonus("c")
			c.Conditions = tt.cond
			e, _ := newEngine(t, points1(c))
			q := evaluate(t, e, order("o", "acme", t0, lines...), campaign.EvaluateOptions{})
			got := outcome(t, q, "c")
			if got.Applied != tt.want || (!tt.want && got.Reason != "conditions") {
				t.Fatalf("applied = %v (%s: %s), want %v", got.Applied, got.Reason, got.Message, tt.want)
			}
			if diff := cmp.Diff(tt.lines, got.Lines); diff != "" {
				t.Errorf("eligible lines (-want +got):\n%s", diff)
			}
			if !tt.want {
				return
			}
			// The 50 bonus points go to the eligible lines only, by value.
			var sum points.Points
			for i, l := range q.Earnings[0].Plan.Lines {
				base := l.Points
				eligible := false
				for _, j := range tt.lines {
					eligible = eligible || i == j
				}
				if !eligible && int64(base) != q.Lines[i].Total.MinorUnits()/10000 {
					t.Errorf("line %d is not eligible but earns %d points", i, base)
				}
				sum += base
			}
			if want := points.Points(60+5+15) + 50; sum != want {
				t.Errorf("points = %d, want %d", sum, want)
			}
		})
	}
}

func TestCampaignActions(t *testing.T) {
	during := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	lines := []loyalty.Line{line("drill", "tools", "2", "3000", "2000"), line("tape", "misc", "10", "50", "")}
	tools := campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}}
	tests := []struct {
		name     string
		c        campaign.Campaign
		discount string // on the order
		points   points.Points
		cost     string
		perks    []string
		mult     string
	}{
		{"percent off the eligible lines", campaign.Campaign{Conditions: tools,
			Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")}}}, "600.00", 54 + 5, "600.00", nil, ""},
		{"amount off", campaign.Campaign{
			Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Amount: m("650")}}}, "650.00", 54 + 4, "650.00", nil, ""},
		{"bonus points, valued at 1 RUB", campaign.Campaign{Conditions: tools,
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 40}}}, "0.00", 60 + 5 + 40, "40.00", nil, ""},
		{"multiplier ×3: 130 extra points", campaign.Campaign{
			Actions: []campaign.Action{{Kind: campaign.ActionMultiplier, Multiplier: d("3")}}}, "0.00", 195, "130.00", nil, "3"},
		{"perk with a value", campaign.Campaign{
			Actions: []campaign.Action{{Kind: campaign.ActionPerk, Perk: "free delivery", Value: m("300")}}}, "0.00", 65, "300.00", []string{"free delivery"}, ""},
		{"every action at once", campaign.Campaign{Conditions: tools, Actions: []campaign.Action{
			{Kind: campaign.ActionDiscount, Percent: d("10")}, {Kind: campaign.ActionPoints, Points: 10},
			{Kind: campaign.ActionMultiplier, Multiplier: d("1.5")}, {Kind: campaign.ActionPerk, Perk: "gift", Value: m("1")},
		}}, "600.00", 89 + 10, "641.00", []string{"gift"}, "1.5"}, // 59 points ×1.5 = 88.5, rounded half up once: 89, + 10; cost 600 + (10 + 30) points + 1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.ID, tt.c.Schedule = "c", during
			e, _ := newEngine(t, points1(tt.c))
			q := evaluate(t, e, order("o", "acme", t0, lines...), campaign.EvaluateOptions{})
			got := outcome(t, q, "c")
			if !got.Applied {
				t.Fatalf("not applied: %s", got.Message)
			}
			if !q.Totals.Discount.Equal(m(tt.discount)) {
				t.Errorf("discount = %s, want %s", q.Totals.Discount, tt.discount)
			}
			if q.Earnings[0].Plan.Total != tt.points {
				t.Errorf("points = %d, want %d", q.Earnings[0].Plan.Total, tt.points)
			}
			if !got.Cost.Equal(m(tt.cost)) {
				t.Errorf("cost = %s, want %s", got.Cost, tt.cost)
			}
			if diff := cmp.Diff(tt.perks, got.Perks); diff != "" {
				t.Errorf("perks (-want +got):\n%s", diff)
			}
			if tt.mult != "" && !got.Multiplier.Equal(d(tt.mult)) {
				t.Errorf("multiplier = %s, want %s", got.Multiplier, tt.mult)
			}
		})
	}
}

// A multiplier campaign multiplies the tier's multiplier: Silver ×2 and a campaign ×1.5
// earn ×3, rounded once.
func TestCampaignMultiplierWithTier(t *testing.T) {
	c := campaign.Campaign{ID: "x", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Actions: []campaign.Action{{Kind: campaign.ActionMultiplier, Multiplier: d("1.5")}}}
	e, clock := newEngine(t, points1(c))
	commit(t, e, evaluate(t, e, order("h", "acme", t0, line("x", "tools", "1", "25000", "")), campaign.EvaluateOptions{}))
	clock.Advance(time.Hour)
	q := evaluate(t, e, order("o", "acme", clock.Now(), line("x", "tools", "1", "1050", "")), campaign.EvaluateOptions{})
	if q.Tier.Name != "Silver" {
		t.Fatalf("tier %s", q.Tier.Name)
	}
	// 10 points × 2 × 1.5 = 30; the campaign's share is what it adds to ×2: 10 points.
	if q.Earnings[0].Plan.Total != 30 || !q.Earnings[0].Multiplier.Equal(d("3")) {
		t.Errorf("earned %d ×%s, want 30 ×3", q.Earnings[0].Plan.Total, q.Earnings[0].Multiplier)
	}
	if got := outcome(t, q, "x"); got.Points != 10 || !got.Cost.Equal(m("10")) {
		t.Errorf("campaign points %d cost %s, want 10 and 10.00", got.Points, got.Cost)
	}
}

func TestCampaignIssuesCode(t *testing.T) {
	c := campaign.Campaign{ID: "thanks", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Conditions: campaign.Conditions{MinAmount: m("5000")},
		Actions:    []campaign.Action{{Kind: campaign.ActionCode, Definition: "THANKS"}}}
	e, clock := newEngine(t, points1(c))
	q := evaluate(t, e, order("o1", "acme", t0, line("x", "tools", "1", "5000", "")), campaign.EvaluateOptions{})
	if diff := cmp.Diff([]promo.DefinitionID{"THANKS"}, outcome(t, q, "thanks").Codes); diff != "" {
		t.Fatalf("codes to issue (-want +got):\n%s", diff)
	}
	r := commit(t, e, q)
	if len(r.Issued) != 1 || r.Issued[0].Campaign != "thanks" || r.Issued[0].Definition != "THANKS" {
		t.Fatalf("issued %+v, want one THANKS code", r.Issued)
	}
	again, err := e.Commit(ctx, q, "commit-o1")
	if err != nil || !cmp.Equal(again.Issued, r.Issued) {
		t.Fatalf("replayed commit issued %+v (%v), want the same code", again.Issued, err)
	}
	// The code is the account's: it works on its next order, not on another account's.
	clock.Advance(time.Hour)
	o2 := order("o2", "acme", clock.Now(), line("x", "tools", "1", "1000", ""))
	o2.Codes = []string{r.Issued[0].Code}
	if q2 := evaluate(t, e, o2, campaign.EvaluateOptions{}); !q2.Codes[0].Accepted || !q2.Totals.Discount.Equal(m("50")) {
		t.Errorf("issued code on the account's order: %+v, discount %s", q2.Codes[0], q2.Totals.Discount)
	}
	o3 := order("o3", "other", clock.Now(), line("x", "tools", "1", "1000", ""))
	o3.Codes = o2.Codes
	if q3 := evaluate(t, e, o3, campaign.EvaluateOptions{}); q3.Codes[0].Accepted {
		t.Error("another account used the personal code")
	}
}

// The GrubHub instant win: 1 in 4 orders wins a dessert. The draw is reproducible: the
// same seed and order draw the same, another seed draws otherwise, and about a quarter of
// the orders win.
func TestCampaignInstantWin(t *testing.T) {
	win := func(seed uint64) campaign.Program {
		return points1(campaign.Campaign{ID: "dessert", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
			Chance:  &campaign.Chance{Wins: 1, OutOf: 4, Seed: seed},
			Actions: []campaign.Action{{Kind: campaign.ActionPerk, Perk: "dessert", Value: m("150")}}})
	}
	e1, _ := newEngine(t, win(42))
	e2, _ := newEngine(t, win(42))
	e3, _ := newEngine(t, win(7))
	const n = 400
	wins, differ := 0, 0
	for i := 0; i < n; i++ {
		o := order(fmt.Sprintf("o%d", i), "acme", t0, line("pizza", "food", "1", "900", ""))
		a, b, c := outcome(t, evaluate(t, e1, o, campaign.EvaluateOptions{}), "dessert"),
			outcome(t, evaluate(t, e2, o, campaign.EvaluateOptions{}), "dessert"),
			outcome(t, evaluate(t, e3, o, campaign.EvaluateOptions{}), "dessert")
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("order %s drew differently with the same seed:\n%s", o.ID, diff)
		}
		roll, won := campaign.Chance{Wins: 1, OutOf: 4, Seed: 42}.Draw("dessert", o.ID)
		if a.Draw == nil || a.Draw.Roll != roll || a.Draw.Won != won || a.Applied != won {
			t.Fatalf("order %s: outcome %+v, Chance.Draw says %d %v", o.ID, a, roll, won)
		}
		if won {
			wins++
			if diff := cmp.Diff([]string{"dessert"}, a.Perks); diff != "" || !a.Cost.Equal(m("150")) {
				t.Fatalf("a winner gets %v costing %s", a.Perks, a.Cost)
			}
		} else if a.Reason != "draw" {
			t.Fatalf("a loser's reason is %q", a.Reason)
		}
		if a.Applied != c.Applied {
			differ++
		}
	}
	// 400 draws of probability 1/4: 100 expected, standard deviation about 8.7.
	if wins < 60 || wins > 140 {
		t.Errorf("%d of %d orders won, want about %d", wins, n, n/4)
	}
	if differ == 0 {
		t.Error("another seed drew the same winners")
	}
}

func TestCampaignPriorityAndExclusive(t *testing.T) {
	during := campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"}
	pts := func(id string, prio int, n points.Points, excl bool) campaign.Campaign {
		return campaign.Campaign{ID: loyalty.CampaignID(id), Priority: prio, Exclusive: excl, Schedule: during,
			Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: n}}}
	}
	later := pts("later", 0, 1, false)
	later.Schedule = campaign.Schedule{Start: "2026-04-01", End: "2026-04-30"}
	e, _ := newEngine(t, points1(pts("b", 1, 10, false), pts("a", 1, 20, false), pts("top", 5, 100, true), pts("low", 0, 1000, false), later))
	q := evaluate(t, e, order("o", "acme", t0, line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{})
	var got []string
	for _, c := range q.Campaigns {
		got = append(got, fmt.Sprintf("%s:%v:%s", c.ID, c.Applied, c.Reason))
	}
	want := []string{"top:true:", "a:false:excluded", "b:false:excluded", "low:false:excluded"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("campaigns in order (-want +got):\n%s", diff)
	}
	if q.Earnings[0].Bonus != 100 {
		t.Errorf("bonus = %d, want only the exclusive campaign's 100", q.Earnings[0].Bonus)
	}
	if s := q.Explain(); !strings.Contains(s, "Campaign a does not apply: exclusive campaign top applies.") ||
		!strings.Contains(s, "Campaign top applies: 100 points, costing 100.00 RUB.") {
		t.Errorf("explanation:\n%s", s)
	}
}

// The dropshipping supplier's holiday campaigns, end to end.
func TestDropshipHolidayCampaign(t *testing.T) {
	e, clock := newEngine(t, dropship())
	lines := []loyalty.Line{line("speaker", "gadgets", "2", "4500", "3000"), line("garland", "decor", "10", "300", "150"), line("cable", "misc", "5", "200", "")}
	at := func(y int, mo time.Month, d, h int) time.Time { return time.Date(y, mo, d, h, 0, 0, 0, msk) }

	// 23 December, 8 days before New Year: no holiday campaign.
	clock.Set(at(2026, 12, 23, 12))
	q := evaluate(t, e, order("o1", "store", clock.Now(), lines...), campaign.EvaluateOptions{})
	if len(q.Campaigns) != 1 || q.Campaigns[0].ID != "fast-transfer" || q.Campaigns[0].Applied || !q.Totals.Discount.IsZero() {
		t.Fatalf("23 December: campaigns %+v, discount %s", q.Campaigns, q.Totals.Discount)
	}
	commit(t, e, q)

	// 24 December: 5 % off the speakers (450), 10 % off the garlands (300).
	clock.Set(at(2026, 12, 24, 0))
	q = evaluate(t, e, order("o2", "store", clock.Now(), lines...), campaign.EvaluateOptions{})
	if diff := cmp.Diff(ms("8550", "2700", "1000"), lineTotals(q)); diff != "" {
		t.Fatalf("line totals (-want +got):\n%s", diff)
	}
	g, dcr := outcome(t, q, "holiday-5"), outcome(t, q, "holiday-10")
	if !g.Cost.Equal(m("450")) || !dcr.Cost.Equal(m("300")) || !g.Budgeted || !dcr.Budgeted {
		t.Fatalf("costs %s and %s", g.Cost, dcr.Cost)
	}
	// 12,250 paid earns 122 points.
	if q.Earnings[0].Plan.Total != 122 {
		t.Errorf("points = %d, want 122", q.Earnings[0].Plan.Total)
	}
	r := commit(t, e, q)
	if r.Budget == nil || len(r.Budget.Items) != 2 {
		t.Fatalf("receipt budget %+v", r.Budget)
	}
	b5, _ := e.Budget(ctx, "holiday-5", "")
	b10, _ := e.Budget(ctx, "holiday-10", "store")
	if b5.Uses != 1 || !b5.Spent.Equal(m("450")) || b10.Uses != 1 || !b10.Spent.Equal(m("300")) {
		t.Errorf("budgets after the order: %+v, %+v", b5, b10)
	}

	// Returning half the garlands gives back half of the decorations' cost, and no use.
	if _, err := e.Return(ctx, "o2", []loyalty.ReturnLine{{Line: 1, Quantity: qty("5")}}, "ret-1"); err != nil {
		t.Fatal(err)
	}
	b10, _ = e.Budget(ctx, "holiday-10", "")
	if b10.Uses != 1 || !b10.Spent.Equal(m("150")) {
		t.Errorf("decorations budget after half a return: %+v", b10)
	}

	// The decorations campaign allows 3 orders per store: o2 and two more, then none.
	for i, day := range []int{25, 26, 27} {
		clock.Set(at(2026, 12, day, 10))
		q = evaluate(t, e, order(fmt.Sprintf("d%d", i), "store", clock.Now(), lines[1]), campaign.EvaluateOptions{})
		c := outcome(t, q, "holiday-10")
		if want := i < 2; c.Applied != want {
			t.Fatalf("decorations order %d: applied %v (%s), want %v", i, c.Applied, c.Message, want)
		}
		commit(t, e, q)
	}
	if c := outcome(t, q, "holiday-10"); c.Reason != "budget" || !strings.Contains(c.Message, "3 uses per account") {
		t.Errorf("fourth order: %+v", c)
	}

	// 1 January: the window closed. 23 February: the next one is open.
	clock.Set(at(2027, 1, 1, 0))
	if q := evaluate(t, e, order("o3", "store", clock.Now(), lines...), campaign.EvaluateOptions{}); !q.Totals.Discount.IsZero() {
		t.Errorf("1 January: discount %s", q.Totals.Discount)
	}
	clock.Set(at(2027, 2, 23, 23))
	if q := evaluate(t, e, order("o4", "other", clock.Now(), lines...), campaign.EvaluateOptions{}); !q.Totals.Discount.Equal(m("750")) {
		t.Errorf("23 February: discount %s, want 750", q.Totals.Discount)
	}

	// Fast transfer after more than 6 months as a customer (since 23 December).
	clock.Set(at(2027, 6, 22, 12))
	if c := outcome(t, evaluate(t, e, order("o5", "store", clock.Now(), lines[2]), campaign.EvaluateOptions{}), "fast-transfer"); c.Applied {
		t.Error("fast transfer before 6 months")
	}
	clock.Set(at(2027, 6, 23, 12))
	if c := outcome(t, evaluate(t, e, order("o6", "store", clock.Now(), lines[2]), campaign.EvaluateOptions{}), "fast-transfer"); !c.Applied ||
		!cmp.Equal(c.Perks, []string{"fast transfer"}) {
		t.Errorf("fast transfer after 6 months: %+v", c)
	}
}

// A money budget: an order whose cost exceeds what is left does not get the campaign, and
// the rest of the order is priced without it.
func TestCampaignMoneyBudget(t *testing.T) {
	c := campaign.Campaign{ID: "ten", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")}, {Kind: campaign.ActionPoints, Points: 5}},
		Budget:  campaign.Budget{Money: m("250")}}
	e, clock := newEngine(t, points1(c))
	// 10 % of 1,000 + 5 points at 1 RUB = 105.
	q := evaluate(t, e, order("o1", "a", t0, line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{})
	if got := outcome(t, q, "ten"); !got.Applied || !got.Cost.Equal(m("105")) {
		t.Fatalf("first order: %+v", got)
	}
	commit(t, e, q)
	clock.Advance(time.Minute)
	// 10 % of 1,500 + 5 = 155 > 145 left: refused, no discount, no bonus.
	q = evaluate(t, e, order("o2", "b", clock.Now(), line("x", "tools", "1", "1500", "")), campaign.EvaluateOptions{})
	if got := outcome(t, q, "ten"); got.Applied || got.Reason != "budget" || !q.Totals.Discount.IsZero() || q.Earnings[0].Bonus != 0 {
		t.Fatalf("second order: %+v, discount %s, bonus %d", got, q.Totals.Discount, q.Earnings[0].Bonus)
	}
	if q.Earnings[0].Plan.Total != 15 {
		t.Errorf("second order earns %d, want 15 without the campaign", q.Earnings[0].Plan.Total)
	}
	// 10 % of 1,400 + 5 = 145: exactly what is left.
	q = evaluate(t, e, order("o3", "b", clock.Now(), line("x", "tools", "1", "1400", "")), campaign.EvaluateOptions{})
	if got := outcome(t, q, "ten"); !got.Applied {
		t.Fatalf("third order: %+v", got)
	}
	commit(t, e, q)
	if b, _ := e.Budget(ctx, "ten", ""); !b.Spent.Equal(m("250")) || b.Uses != 2 {
		t.Errorf("budget %+v, want 250 spent in 2 uses", b)
	}
	q = evaluate(t, e, order("o4", "c", clock.Now(), line("x", "tools", "1", "10", "")), campaign.EvaluateOptions{})
	if got := outcome(t, q, "ten"); got.Applied || got.Reason != "budget" {
		t.Errorf("spent budget: %+v", got)
	}
}

// A commit whose campaign budget was consumed since the quote is refused and changes
// nothing; when the points redemption after the budget step refuses, the budget is given
// back.
func TestCampaignBudgetCommitRefusals(t *testing.T) {
	c := campaign.Campaign{ID: "once", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Actions: []campaign.Action{{Kind: campaign.ActionPoints, Points: 5}}, Budget: campaign.Budget{Uses: 1}}
	s := campaign.MemoryStores()
	spy := &spyOrders{OrderStore: s.Orders}
	s.Orders = spy
	e, err := campaign.New(points1(c), s, campaign.Config{Clock: loyalty.NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	credit(t, e, "a", 100)
	qa := evaluate(t, e, order("oa", "a", t0, line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{RedeemPoints: 100})
	qb := evaluate(t, e, order("ob", "b", t0, line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{})
	// As soon as a's commit has consumed the budget, a's points are spent elsewhere: the
	// redemption after the budget step refuses, and the budget is given back.
	fired := false
	spy.after = func() {
		if b, _ := e.Budget(ctx, "once", ""); b.Uses == 1 && !fired {
			fired = true
			if _, err := e.Points().Adjust(ctx, points.Adjustment{Key: "spend", Holder: points.ForAccount("a"), Points: -50, Reason: "t", Actor: "t"}); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := e.Commit(ctx, qa, "ka"); !errors.Is(err, points.ErrInsufficientPoints) {
		t.Fatalf("commit with points spent after the budget step: %v, want ErrInsufficientPoints", err)
	}
	spy.after = nil
	if !fired {
		t.Fatal("the budget step did not run")
	}
	if b, _ := e.Budget(ctx, "once", ""); b.Uses != 0 || !b.Spent.IsZero() {
		t.Fatalf("refused commit kept its budget use: %+v", b)
	}
	commit(t, e, qb)
	if b, _ := e.Budget(ctx, "once", "b"); b.Uses != 1 {
		t.Fatalf("b's budget %+v after its order", b)
	}
	// a's new quote no longer gets the campaign: the only use went to b; and b's quote,
	// committed again under a new key for another order, is stale.
	qa2 := evaluate(t, e, order("oa2", "a", t0, line("x", "tools", "1", "1000", "")), campaign.EvaluateOptions{})
	if got := outcome(t, qa2, "once"); got.Applied || got.Reason != "budget" {
		t.Fatalf("the campaign applies beyond its budget: %+v", got)
	}
	qb.Order.ID = "ob2"
	if _, err := e.Commit(ctx, qb, "kb2"); !errors.Is(err, campaign.ErrStaleQuote) {
		t.Errorf("commit of a quote whose budget is gone: %v, want ErrStaleQuote", err)
	}
}

// spyOrders runs after once after every successful Update.
type spyOrders struct {
	campaign.OrderStore
	after func()
}

func (s *spyOrders) Update(ctx context.Context, fn func(campaign.OrderTx) error) error {
	err := s.OrderStore.Update(ctx, fn)
	if err == nil && s.after != nil {
		s.after()
	}
	return err
}

// The engine keeps its own copy of the campaigns, and quotes do not share the engine's data.
func TestCampaignEngineOwnsItsCopy(t *testing.T) {
	p := points1(campaign.Campaign{ID: "c", Schedule: campaign.Schedule{Start: "2026-03-01", End: "2026-03-31"},
		Conditions: campaign.Conditions{Categories: []loyalty.CategoryID{"tools"}},
		Actions:    []campaign.Action{{Kind: campaign.ActionPerk, Perk: "gift"}}})
	e, _ := newEngine(t, p)
	p.Campaigns[0].Conditions.Categories[0] = "food"
	p.Campaigns[0].Actions[0].Perk = "nothing"
	q := evaluate(t, e, order("o", "acme", t0, line("x", "tools", "1", "100", "")), campaign.EvaluateOptions{})
	c := outcome(t, q, "c")
	if !c.Applied || !cmp.Equal(c.Perks, []string{"gift"}) {
		t.Fatalf("after the caller changed its program: %+v", c)
	}
	c.Perks[0] = "changed"
	if c2 := outcome(t, evaluate(t, e, order("o2", "acme", t0, line("x", "tools", "1", "100", "")), campaign.EvaluateOptions{}), "c"); c2.Perks[0] != "gift" {
		t.Errorf("a quote shares the engine's perks: %v", c2.Perks)
	}
}

// A commit interrupted after its budget step (the points store fails) is resumed by the
// next Commit with its key: the budget is consumed once.
func TestCampaignBudgetResumedOnce(t *testing.T) {
	p := referenceCampaigns()
	p.Campaigns[2].Budget.Uses = 10 // big-order: 100 points on orders from 5,000
	e, _, h := newHooked(t, p)
	q := evaluate(t, e, order("o", "acme", t0, line("drill", "tools", "2", "5000", "3000")), campaign.EvaluateOptions{})
	if c := outcome(t, q, "big-order"); !c.Applied || !c.Budgeted {
		t.Fatalf("big-order: %+v", c)
	}
	h.mu.Lock()
	h.failPts = 1
	h.mu.Unlock()
	if _, err := e.Commit(ctx, q, "k"); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("commit with the points store failing: %v, want an interrupted commit", err)
	}
	if b, _ := e.Budget(ctx, "big-order", ""); b.Uses != 1 {
		t.Fatalf("after the interrupted commit: %+v, want the use taken", b)
	}
	r, err := e.Commit(ctx, q, "k")
	if err != nil {
		t.Fatal(err)
	}
	if r.Budget == nil || r.Earned(points.ForAccount("acme")) == 0 {
		t.Fatalf("resumed receipt: %+v", r)
	}
	b, _ := e.Budget(ctx, "big-order", "")
	tools, _ := e.Budget(ctx, "tools-week", "")
	if b.Uses != 1 || tools.Uses != 1 || !tools.Spent.Equal(m("300")) {
		t.Errorf("after the resumed commit: big-order %+v, tools-week %+v; want one use each, 300.00 spent on tools", b, tools)
	}
}

// A campaign whose cost leaves the range of amounts (its discount plus a perk valued near
// the limit) fails the evaluation with loyalty.ErrOverflow instead of wrapping around to a
// negative cost that any budget would let through.
func TestCampaignCostOverflow(t *testing.T) {
	for _, budget := range []loyalty.Money{{}, m("100")} {
		p := reference()
		p.Campaigns = []campaign.Campaign{{ID: "huge", Schedule: campaign.Schedule{End: "2026-12-31"}, Budget: campaign.Budget{Money: budget},
			Actions: []campaign.Action{{Kind: campaign.ActionDiscount, Percent: d("10")},
				{Kind: campaign.ActionPerk, Perk: "yacht", Value: loyalty.MustMoney("92233720368547758.00", "RUB")}}}}
		e, clock := newEngine(t, p)
		_, err := e.Evaluate(ctx, order("o", "acme", clock.Now(), line("drill", "tools", "1", "5000", "3000")), campaign.EvaluateOptions{})
		if !errors.Is(err, loyalty.ErrOverflow) || !strings.Contains(err.Error(), "huge") {
			t.Errorf("budget %v: %v, want an overflow of campaign huge's cost", budget, err)
		}
	}
}
