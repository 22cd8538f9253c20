package campaign_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/discount"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/promo"
	"github.com/loyaltykit/loyalty/referral"
	"github.com/shopspring/decimal"
)

func TestProgramValidateGood(t *testing.T) {
	for name, p := range map[string]campaign.Program{
		"wholesaler": wholesaler(),
		"coffee":     coffeeShop(),
		"fuel":       fuelCard(),
		"airline":    airline(),
		"minimal":    {ID: "p", Currency: rub},
		"dealers":    dealers(),
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestProgramValidateBad(t *testing.T) {
	usd := loyalty.MustMoney("10", "USD")
	tests := []struct {
		name   string
		change func(p *campaign.Program)
		fields []string // every field path the error must name
	}{
		{"no id and currency", func(p *campaign.Program) { p.ID = ""; p.Currency = loyalty.Currency{} }, []string{"id:", "currency:"}},
		{"bad time zone", func(p *campaign.Program) { p.TimeZone = "Mars/Olympus" }, []string{"time_zone: "}},
		{"discount policy in dollars", func(p *campaign.Program) { p.Discounts.Currency = loyalty.MustCurrency("USD") }, []string{"discounts.currency:"}},
		{"bad discount", func(p *campaign.Program) { p.Discounts.Discounts[0].Tiers[1].Percent = d("120") }, []string{"discounts.discounts[0].tiers[1].percent"}},
		{"reserved discount id", func(p *campaign.Program) { p.Discounts.Discounts[0].ID = "tier:x" }, []string{"discounts.discounts[0].id: must not start with the reserved prefix tier:"}},
		{"tier ladder in dollars", func(p *campaign.Program) {
			p.Tiers.Currency = loyalty.MustCurrency("USD")
			p.Tiers.Levels[1].Threshold.Spend = usd
			p.Tiers.Levels[2].Threshold.Spend = loyalty.MustMoney("20", "USD")
		}, []string{"tiers.currency:"}},
		{"overlapping tier thresholds", func(p *campaign.Program) { p.Tiers.Levels[2].Threshold.Spend = m("100000") }, []string{"tiers.levels[2].threshold"}},
		{"bad earning", func(p *campaign.Program) { p.Earning.Rates = []points.Rate{{Points: 1}} }, []string{"earning.rates[0]"}},
		{"redemption in dollars", func(p *campaign.Program) {
			p.Redemption = points.Redemption{Currency: loyalty.MustCurrency("USD"), PointValue: d("1")}
		}, []string{"redemption.currency:"}},
		{"bad floor without discounts", func(p *campaign.Program) {
			p.Discounts = discount.Policy{Floor: discount.Floor{MinMarkup: d("-5")}}
		}, []string{"discounts.floor.min_markup"}},
		{"bad returns policy", func(p *campaign.Program) { p.Returns = "never" }, []string{"returns:"}},
		{"code amount in dollars", func(p *campaign.Program) {
			p.Codes.Definitions = []promo.Definition{{ID: "X", Benefit: promo.Benefit{Amount: usd}}}
		}, []string{"codes.definitions[0].benefit.amount:"}},
		{"code ref to nothing", func(p *campaign.Program) {
			p.Codes.Definitions = []promo.Definition{{ID: "X", Benefit: promo.Benefit{Ref: "discount:nope"}}}
		}, []string{"codes.definitions[0].benefit.ref:"}},
		{"bad code family", func(p *campaign.Program) {
			p.Codes.Definitions = []promo.Definition{{ID: "X", Benefit: promo.Benefit{Percent: d("130")}}}
		}, []string{"codes.definitions[0].benefit"}},
		{"referral credit in dollars", func(p *campaign.Program) {
			p.Referral = &referral.Rules{ReferrerRewards: []referral.Reward{referral.CreditReward(usd)}}
		}, []string{"referral.referrer_rewards[0].credit:"}},
		{"bad sales target", func(p *campaign.Program) {
			p.SalesTargets = []campaign.SalesTarget{dealers().SalesTargets[0], {ID: "t2", End: "2026-13-01", Points: 5}}
		}, []string{"sales_targets[1].units: must be positive", "sales_targets[1].end:"}},
		{"sales targets with one id", func(p *campaign.Program) {
			p.SalesTargets = []campaign.SalesTarget{dealers().SalesTargets[0], dealers().SalesTargets[0]}
		}, []string{"sales_targets[1].id: must be unique (also sales_targets[0])"}},
		{"sales target credit in dollars", func(p *campaign.Program) {
			p.SalesTargets = []campaign.SalesTarget{dealers().SalesTargets[1]}
			p.SalesTargets[0].Credit = usd
		}, []string{"sales_targets[0].credit: must be in the program currency"}},
		{"bad co-marketing", func(p *campaign.Program) {
			p.CoMarketing = &campaign.CoMarketing{Share: d("1.5"), Max: usd}
		}, []string{"co_marketing.share:", "co_marketing.max: must be in the program currency"}},
		{"bad contest", func(p *campaign.Program) {
			c := dealers().Contests[0]
			c.Measure, c.Prizes = "fame", []campaign.Prize{{Credit: usd}, {}}
			p.Contests = []campaign.Contest{dealers().Contests[1], c, dealers().Contests[1]}
		}, []string{"contests[1].measure:", "contests[1].prizes[0].credit: must be in the program currency", "contests[1].prizes[1]:",
			"contests[2].id: must be unique (also contests[0])"}},
		{"referral welcome promo", func(p *campaign.Program) {
			p.Referral = &referral.Rules{ReferrerRewards: []referral.Reward{referral.PointsReward(5)},
				WelcomeRewards: []referral.Reward{referral.PromoReward("W")}}
		}, []string{"referral.welcome_rewards[0].kind:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wholesaler()
			tt.change(&p)
			err := p.Validate()
			if err == nil {
				t.Fatal("Validate accepted the program")
			}
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("error does not match loyalty.ErrInvalid: %v", err)
			}
			// Every problem is a field error with a path.
			var leaves func(err error)
			leaves = func(err error) {
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					for _, e := range j.Unwrap() {
						leaves(e)
					}
					return
				}
				if fe, ok := err.(*loyalty.FieldError); !ok || fe.Field == "" {
					t.Errorf("a problem is not a field error with a path: %#v", err)
				}
			}
			leaves(errors.Unwrap(err))
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error does not name %q:\n%v", f, err)
				}
			}
			if _, err := campaign.New(p, campaign.MemoryStores(), campaign.Config{}); err == nil {
				t.Error("New accepted the program")
			}
		})
	}
}

func TestProgramJSONRoundTrip(t *testing.T) {
	for name, p := range map[string]campaign.Program{
		"wholesaler": wholesaler(), "coffee": coffeeShop(), "fuel": fuelCard(), "airline": airline(), "dropship": dropship(), "dealers": dealers(),
		"no discounts": {ID: "p", Currency: rub, Earning: points.Rules{Rates: []points.Rate{{Points: 1, Per: d("10")}}}},
	} {
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
}

func TestLoadProgramStrict(t *testing.T) {
	good, err := json.Marshal(wholesaler())
	if err != nil {
		t.Fatal(err)
	}
	goodDealers, err := json.Marshal(dealers())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		json string
		want string
	}{
		"unknown field":             {strings.Replace(string(good), `"id":`, `"colour":"red","id":`, 1), "colour"},
		"unknown nested":            {strings.Replace(string(good), `"stacking":`, `"stackin":"x","stacking":`, 1), "stackin"},
		"unknown in a sales target": {strings.Replace(string(goodDealers), `"units":`, `"unitz":1,"units":`, 1), "unitz"},
		"unknown in a contest":      {strings.Replace(string(goodDealers), `"measure":`, `"measur":"x","measure":`, 1), "measur"},
		"bad sales target":          {strings.Replace(string(goodDealers), `"units":"100"`, `"units":"0"`, 1), "sales_targets[0].units: must be positive"},
		"trailing data":             {string(good) + ` {"id":"x"}`, "unexpected data"},
		"not json":                  {"hello", "invalid"},
		"invalid program":           {`{"id":"","currency":"RUB","discounts":{},"earning":{},"redemption":{"currency":"","point_value":"0"},"codes":{"definitions":null}}`, "id: is required"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := campaign.LoadProgram(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadProgram error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := campaign.LoadProgram(strings.NewReader(string(good) + "\n  ")); err != nil {
		t.Errorf("trailing white space refused: %v", err)
	}
}

func FuzzLoadProgram(f *testing.F) {
	for _, p := range []campaign.Program{wholesaler(), coffeeShop(), fuelCard(), airline(), dropship(), referenceCampaigns(), dealers()} {
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`{"id":"p","currency":"RUB"}`)
	f.Add(`{"id":"p","currency":"RUB","tiers":{"levels":[]}}`)
	f.Add(`{}`)
	f.Add(`[`)
	f.Add(`{"id":"p","currency":"RUB","campaigns":[{"id":"c","schedule":{"holidays":["2026-12-31"],"days_before":7},"actions":[{"kind":"discount","percent":"5"}],"chance":{"wins":1,"out_of":4,"seed":9},"budget":{"money":{"amount":"1000.00","currency":"RUB"},"uses":3,"per_account":1}}]}`)
	f.Add(`{"id":"p","currency":"RUB","campaigns":[{"id":"c","schedule":{"end":"2026-12-31"},"actions":[{"kind":"perk","perk":"x"}],"budget":{"money":{"amount":"10.00","currency":"USD"}}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := campaign.LoadProgram(strings.NewReader(s))
		if err != nil {
			return
		}
		// A program that loads is valid, saves and loads again, and builds an engine.
		if err := p.Validate(); err != nil {
			t.Fatalf("loaded program is invalid: %v", err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if _, err := campaign.LoadProgram(bytes.NewReader(b)); err != nil {
			t.Fatalf("reload: %v\n%s", err, b)
		}
		if _, err := campaign.New(p, campaign.MemoryStores(), campaign.Config{}); err != nil {
			t.Fatalf("New on a valid program: %v", err)
		}
	})
}

func TestNewNeedsStores(t *testing.T) {
	_, err := campaign.New(wholesaler(), campaign.Stores{}, campaign.Config{})
	for _, f := range []string{"stores.points", "stores.codes", "stores.orders", "stores.tiers"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("New without stores: error %v does not name %s", err, f)
		}
	}
}
