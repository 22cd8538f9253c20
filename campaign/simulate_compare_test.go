package campaign_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/loyaltykit/loyalty/campaign"
)

// TestSimulateChurnFavoursBonus replays a history in which half of the customers buy once
// and never come back through the cumulative discount and the bonus program of the same
// nominal rate (5 %). The discount is given on every sale, the one-time buyers' included;
// the bonus is paid only to those who come back, so the one-time buyers' points are never
// redeemed: they expire (six months after they were earned), and the bonus program costs
// less margin.
func TestSimulateChurnFavoursBonus(t *testing.T) {
	h := generate(t, campaign.GenerateOptions{Seed: 11, Orders: 300, Accounts: 60, OneTimePercent: 50, ReturnPercent: 5})
	rep, err := campaign.Simulate(ctx, bytes.NewReader(h), campaign.CSV, campaign.SimulateOptions{}, simDiscount(), simBonus())
	if err != nil {
		t.Fatal(err)
	}
	disc, bonus := rep.Runs[0], rep.Runs[1]
	if !disc.Margin.Before.Equal(bonus.Margin.Before) {
		t.Fatalf("margins before differ: %v, %v", disc.Margin.Before, bonus.Margin.Before)
	}
	if c, _ := bonus.ProgramCost.Cmp(disc.ProgramCost); c >= 0 {
		t.Errorf("bonus program cost %v, not below the discount's %v", bonus.ProgramCost, disc.ProgramCost)
	}
	if c, _ := bonus.Margin.AfterLiability.Cmp(disc.Margin.AfterLiability); c <= 0 {
		t.Errorf("margin after the bonus program %v, not above the discount's %v", bonus.Margin.AfterLiability, disc.Margin.AfterLiability)
	}
	if !bonus.Margin.Erosion.LessThan(disc.Margin.Erosion) {
		t.Errorf("erosion: bonus %s %%, discount %s %%", bonus.Margin.Erosion, disc.Margin.Erosion)
	}
	// Why: points expired unredeemed, and the discount's effective rate is its nominal rate.
	if bonus.Points.Expired <= 0 {
		t.Errorf("no points expired: %+v", bonus.Points)
	}
	// (5 %, and 7 % for the accounts past 200,000 of purchases.)
	if disc.CostRate.LessThan(d("5")) || disc.CostRate.GreaterThan(d("7")) {
		t.Errorf("discount cost rate %s %%, want 5 to 7 %%", disc.CostRate)
	}
	if testing.Verbose() {
		if err := rep.WriteText(os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
}

// ExampleSimulate compares a cumulative discount of 5 % (7 % from 200,000 of purchases) with a
// bonus program earning 5 % in points on a generated history in which half of the customers
// buy only once: their points expire unspent, and the bonus program costs less.
func ExampleSimulate() {
	var history bytes.Buffer
	err := campaign.GenerateHistory(&history, campaign.GenerateOptions{Seed: 11, Orders: 300, Accounts: 60, OneTimePercent: 50, ReturnPercent: 5})
	if err != nil {
		panic(err)
	}
	rep, err := campaign.Simulate(ctx, &history, campaign.CSV, campaign.SimulateOptions{}, simDiscount(), simBonus())
	if err != nil {
		panic(err)
	}
	for _, run := range rep.Runs {
		fmt.Printf("%s: program cost %s RUB (%s %% of revenue), margin erosion %s %%\n",
			run.Program, run.ProgramCost.Amount(), run.CostRate.StringFixed(2), run.Margin.Erosion.StringFixed(2))
	}
	// Output:
	// cumulative-5: program cost 101448.63 RUB (5.10 % of revenue), margin erosion 14.88 %
	// bonus-5: program cost 84001.00 RUB (4.23 % of revenue), margin erosion 12.32 %
}
