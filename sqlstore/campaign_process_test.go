package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
)

// The environment of a campaign child process (the test binary re-executing itself).
const (
	campaignChildMode    = "LOYALTY_CAMPAIGN_CHILD_MODE"    // "budget" or "crash"
	campaignChildDialect = "LOYALTY_CAMPAIGN_CHILD_DIALECT" // "postgres" or "sqlite"
	campaignChildTarget  = "LOYALTY_CAMPAIGN_CHILD_TARGET"  // the DSN or the SQLite file
	campaignChildID      = "LOYALTY_CAMPAIGN_CHILD_ID"      // 0, 1, ...
	campaignChildLine    = "CAMPAIGN-CHILD"                 // the prefix of the lines a child reports
)

// campaignBudgetOrders is how many orders each child commits in budget mode.
const campaignBudgetOrders = 8

// campaignBudgetUses is the budget of uses of the bonus campaign in budget mode.
const campaignBudgetUses = 10

// campaignProcessProgram is campaignProgram with the bonus campaign's budget set to uses
// in all and no limit per account.
func campaignProcessProgram(uses int64) campaign.Program {
	p := campaignProgram()
	p.Campaigns[0].Budget = campaign.Budget{Uses: uses}
	return p
}

// campaignCrashOrder is order i of crash child id, on the child's own account, and its
// commit key.
func campaignCrashOrder(id string, i int) (loyalty.Order, loyalty.IdempotencyKey) {
	return campaignOrder(fmt.Sprintf("crash-%s-%d", id, i), "crash-"+id, campT0, strconv.Itoa(1000+100*(i%5)), "1"),
		loyalty.IdempotencyKey(fmt.Sprintf("crash-%s-%d", id, i))
}

// campaignCommit evaluates o and commits it under key, evaluating again when the commit
// is refused because a budget was used up or the quote went stale meanwhile.
func campaignCommit(e *campaign.Engine, o loyalty.Order, key loyalty.IdempotencyKey) (campaign.Receipt, error) {
	for attempt := 0; ; attempt++ {
		q, err := e.Evaluate(campCtx, o, campaign.EvaluateOptions{})
		if err != nil {
			return campaign.Receipt{}, err
		}
		r, err := e.Commit(campCtx, q, key)
		if err == nil || attempt == 50 || !errors.Is(err, campaign.ErrBudgetExhausted) && !errors.Is(err, campaign.ErrStaleQuote) {
			return r, err
		}
	}
}

// campaignUses sums what the receipts consumed of each campaign's budget (uses, and minor
// units of money).
func campaignUses(rs []campaign.Receipt) map[loyalty.CampaignID][2]int64 {
	out := map[loyalty.CampaignID][2]int64{}
	for _, r := range rs {
		if r.Budget == nil {
			continue
		}
		for _, it := range r.Budget.Items {
			c := out[it.Campaign]
			out[it.Campaign] = [2]int64{c[0] + it.Uses, c[1] + it.Money.MinorUnits()}
		}
	}
	return out
}

// TestCampaignChildProcess is the body of a child process; it does nothing unless the
// environment says so. In "budget" mode it commits campaignBudgetOrders orders from two
// goroutines, orders that compete for the bonus campaign's budget of campaignBudgetUses
// uses and the gift campaign's 1,000.00, and reports what each receipt consumed; in
// "crash" mode it commits the orders of campaignCrashOrder until it is killed, reporting
// each key before its commit.
func TestCampaignChildProcess(t *testing.T) {
	mode := os.Getenv(campaignChildMode)
	if mode == "" {
		return
	}
	db, dialect := openChildDB(t, campaignChildDialect, os.Getenv(campaignChildTarget))
	id := os.Getenv(campaignChildID)
	uses := int64(campaignBudgetUses)
	if mode == "crash" {
		uses = 1 << 40
	}
	e, err := campaign.New(campaignProcessProgram(uses), CampaignStores(db, dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
	if err != nil {
		t.Fatal(err)
	}
	waitForStart(t)
	switch mode {
	case "budget":
		var wg sync.WaitGroup
		var mu sync.Mutex
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < campaignBudgetOrders; i += 2 {
					o := campaignOrder(fmt.Sprintf("o-%s-%d", id, i), fmt.Sprintf("acct-%d", i%3), campT0, "1500", "1")
					r, err := campaignCommit(e, o, loyalty.IdempotencyKey("k-"+string(o.ID)))
					if err != nil {
						t.Errorf("commit %s: %v", o.ID, err)
						continue
					}
					u := campaignUses([]campaign.Receipt{r})
					mu.Lock()
					fmt.Printf("%s %s bonus=%d gift=%d\n", campaignChildLine, o.ID, u["bonus"][0], u["gift"][1])
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	case "crash":
		for i := 0; ; i++ {
			o, key := campaignCrashOrder(id, i)
			fmt.Printf("%s %d %s\n", campaignChildLine, i, key)
			if _, err := campaignCommit(e, o, key); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
	default:
		t.Fatalf("unknown %s %q", campaignChildMode, mode)
	}
}

// campaignChildren starts n child processes in mode against the database of db and d.
func campaignChildren(t *testing.T, db *sql.DB, d testDB, mode string, n int) []*childProcess {
	t.Helper()
	target := childTarget(t, db, d)
	return startChildren(t, "TestCampaignChildProcess", campaignChildLine, n, func(i int) []string {
		return []string{campaignChildMode + "=" + mode, campaignChildDialect + "=" + d.dialect.String(),
			campaignChildTarget + "=" + target, campaignChildID + "=" + strconv.Itoa(i)}
	})
}

// TestCampaignMultiProcessBudget: separate OS processes, each with its own connections,
// commit orders that all qualify for two campaigns with budgets, more orders than the
// budgets cover: exactly the budgets' worth of orders get each campaign (10 uses; 1,000.00
// in gifts of 500.00), every order commits, and the counters are the sums of the receipts.
func TestCampaignMultiProcessBudget(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const procs = 4
		db := openMigratedDB(t, d)
		var bonus, gift int64
		orders := 0
		for _, c := range campaignChildren(t, db, d, "budget", procs) {
			for _, line := range c.wait(t) {
				var id string
				var b, g int64
				if _, err := fmt.Sscanf(line, "%s bonus=%d gift=%d", &id, &b, &g); err != nil {
					t.Fatalf("child reported %q: %v", line, err)
				}
				orders++
				bonus, gift = bonus+b, gift+g
			}
		}
		if orders != procs*campaignBudgetOrders {
			t.Errorf("%d orders committed, want %d", orders, procs*campaignBudgetOrders)
		}
		if bonus != campaignBudgetUses || gift != 100000 {
			t.Errorf("the receipts consumed %d bonus uses and %d minor units of gifts; want %d and 100000", bonus, gift, campaignBudgetUses)
		}
		e, err := campaign.New(campaignProcessProgram(campaignBudgetUses), CampaignStores(db, d.dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Budget(campCtx, "bonus", "")
		if err != nil || b.Uses != campaignBudgetUses {
			t.Errorf("bonus budget %+v (%v), want %d uses", b, err, campaignBudgetUses)
		}
		g, err := e.Budget(campCtx, "gift", "")
		if err != nil || g.Spent.MinorUnits() != 100000 || g.Uses != 2 {
			t.Errorf("gift budget %+v (%v), want 2 uses of 500.00", g, err)
		}
		var done int
		if err := db.QueryRow(`SELECT COUNT(*) FROM campaign_commits WHERE state = 'done'`).Scan(&done); err != nil || done != orders {
			t.Errorf("%d commits done (%v), want %d", done, err, orders)
		}
	})
}

// TestCampaignMultiProcessCrash kills processes with SIGKILL while they commit orders
// through the engine over the SQL stores; afterwards, committing every order they started
// again under the same keys completes each exactly once: every journal record is done,
// the points balances and the bonus campaign's budget count each order once, and the
// orders that were done before the crash are replayed.
func TestCampaignMultiProcessCrash(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const procs = 2
		db := openMigratedDB(t, d)
		children := campaignChildren(t, db, d, "crash", procs)
		started := killWhileWorking(t, db, d, children, 30) // orders each child started: 0 .. started-1
		var done, journal int
		if err := db.QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN state = 'done' THEN 1 END) FROM campaign_commits`).Scan(&journal, &done); err != nil {
			t.Fatal(err)
		}
		t.Logf("orders started %v; %d journal records, %d done, when the processes were killed", started, journal, done)
		e, err := campaign.New(campaignProcessProgram(1<<40), CampaignStores(db, d.dialect), campaign.Config{Clock: loyalty.NewManualClock(campT0)})
		if err != nil {
			t.Fatal(err)
		}
		replayed, total := 0, 0
		var all []campaign.Receipt
		for i := range procs {
			id := strconv.Itoa(i)
			var want points.Points
			for n := range started[i] {
				o, key := campaignCrashOrder(id, n)
				r, err := campaignCommit(e, o, key)
				if err != nil {
					t.Fatalf("commit %s again: %v", key, err)
				}
				if r.Replayed {
					replayed++
				}
				all = append(all, r)
				want += r.Earned(points.ForAccount(o.Account))
				total++
			}
			h := points.ForAccount(loyalty.AccountID("crash-" + id))
			b := pointsCheckLedger(t, e.Points(), NewPointsStore(db, d.dialect), h)
			if b.Available != want || want == 0 {
				t.Errorf("%s: %d points available, the receipts of its %d orders earned %d", h, b.Available, started[i], want)
			}
			a, err := e.Account(campCtx, loyalty.AccountID("crash-"+id))
			if err != nil || a.Orders != started[i] {
				t.Errorf("account %s: %d orders (%v), want %d", h.ID, a.Orders, err, started[i])
			}
		}
		if replayed != done {
			t.Errorf("%d commits were replayed, %d were done before the crash", replayed, done)
		}
		bonus, err := e.Budget(campCtx, "bonus", "")
		if err != nil || bonus.Uses != int64(total) || campaignUses(all)["bonus"][0] != int64(total) {
			t.Errorf("bonus budget %+v (%v), receipts %v; want %d uses, one per order", bonus, err, campaignUses(all), total)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM campaign_commits WHERE state = 'done'`).Scan(&done); err != nil || done != total {
			t.Errorf("%d commits done (%v), want %d", done, err, total)
		}
	})
}
