package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/points"
	"github.com/shopspring/decimal"
)

// The environment of a points child process (the test binary re-executing itself).
const (
	pointsChildMode    = "LOYALTY_POINTS_CHILD_MODE"    // "spend" or "crash"
	pointsChildDialect = "LOYALTY_POINTS_CHILD_DIALECT" // "postgres" or "sqlite"
	pointsChildTarget  = "LOYALTY_POINTS_CHILD_TARGET"  // the DSN or the SQLite file
	pointsChildID      = "LOYALTY_POINTS_CHILD_ID"      // 0, 1, ...
	pointsChildSpends  = "LOYALTY_POINTS_CHILD_SPENDS"  // spend mode: how many spends
	pointsChildLine    = "POINTS-CHILD"                 // the prefix of the lines a child reports
)

// pointsShared is the holder every child spends from in spend mode.
var pointsShared = points.ForAccount("shared")

// pointsSpendEach is the size of every spend in spend mode.
const pointsSpendEach = 7

// pointsCrashPosting is posting i of crash child id: two earnings (10 to 16 points each, an
// order of 100 to 160 RUB) then a spend of 5 points, over and over, on the child's own
// holder, all under keys of their own. want is its effect on the holder's balance.
func pointsCrashPosting(l *points.Ledger, id string, i int) (run func() (points.Posting, error), key loyalty.IdempotencyKey, want points.Points) {
	h := points.ForAccount(loyalty.AccountID("crash-" + id))
	key = loyalty.IdempotencyKey(fmt.Sprintf("crash-%s-%d", id, i))
	if i%3 == 2 {
		return func() (points.Posting, error) {
			return l.Spend(pointsCtx, points.SpendRequest{Key: key, Holder: h, Points: 5})
		}, key, -5
	}
	p := points.Points(10 + i%7)
	order := pointsOrder(fmt.Sprintf("o-%s-%d", id, i), int64(p)*10)
	return func() (points.Posting, error) {
		return l.EarnOrder(pointsCtx, key, h, order, decimal.Zero)
	}, key, p
}

// TestPointsChildProcess is the body of a child process; it does nothing unless the
// environment says so. In "spend" mode it spends LOYALTY_POINTS_CHILD_SPENDS times 7
// points from the shared holder from two goroutines and reports how many spends succeeded
// and how many were refused; in "crash" mode it makes the postings of pointsCrashPosting
// until it is killed, reporting each key before its attempt.
func TestPointsChildProcess(t *testing.T) {
	mode := os.Getenv(pointsChildMode)
	if mode == "" {
		return
	}
	db, dialect := openChildDB(t, pointsChildDialect, os.Getenv(pointsChildTarget))
	l := pointsLedger(t, db, dialect)
	id := os.Getenv(pointsChildID)
	waitForStart(t)
	switch mode {
	case "spend":
		spends, err := strconv.Atoi(os.Getenv(pointsChildSpends))
		if err != nil {
			t.Fatal(err)
		}
		var ok, short atomic.Int64
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < spends; i += 2 {
					key := loyalty.IdempotencyKey(fmt.Sprintf("spend-%s-%d", id, i))
					_, err := l.Spend(pointsCtx, points.SpendRequest{Key: key, Holder: pointsShared, Points: pointsSpendEach})
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, points.ErrInsufficientPoints):
						short.Add(1)
					default:
						t.Errorf("spend %d: %v", i, err)
					}
				}
			}()
		}
		wg.Wait()
		fmt.Printf("%s ok=%d short=%d\n", pointsChildLine, ok.Load(), short.Load())
	case "crash":
		for i := 0; ; i++ {
			run, key, _ := pointsCrashPosting(l, id, i)
			fmt.Printf("%s %d %s\n", pointsChildLine, i, key)
			if _, err := run(); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
	default:
		t.Fatalf("unknown %s %q", pointsChildMode, mode)
	}
}

// pointsChildren starts n child processes in mode against the database of db and d, waits
// until all have started, and lets them go together. The children are killed when the
// test ends.
func pointsChildren(t *testing.T, db *sql.DB, d testDB, mode string, n int, env ...string) []*childProcess {
	t.Helper()
	target := childTarget(t, db, d)
	return startChildren(t, "TestPointsChildProcess", pointsChildLine, n, func(i int) []string {
		return append([]string{pointsChildMode + "=" + mode, pointsChildDialect + "=" + d.dialect.String(),
			pointsChildTarget + "=" + target, pointsChildID + "=" + strconv.Itoa(i)}, env...)
	})
}

// pointsCheckLedger checks that h's balance agrees with its lots and its history, and
// returns the balance.
func pointsCheckLedger(t *testing.T, l *points.Ledger, s *PointsStore, h points.Holder) points.Balance {
	t.Helper()
	b, err := l.Balance(pointsCtx, h)
	if err != nil {
		t.Fatal(err)
	}
	if b.Earned != b.Active+b.Pending+b.Spent+b.Expired+b.Reversed+b.Transferred+b.Debited {
		t.Errorf("%s: points created or lost: %+v", h, b)
	}
	var lots points.Points
	if err := s.View(pointsCtx, func(tx points.ReadTx) error {
		open, err := tx.OpenLots(h)
		for _, lot := range open {
			lots += lot.Remaining
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if lots != b.Active+b.Pending {
		t.Errorf("%s: lots hold %d, balance %d", h, lots, b.Active+b.Pending)
	}
	es, err := l.History(pointsCtx, h, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var net, spent points.Points
	for _, e := range es {
		net += e.Delta()
		if e.Kind == points.KindSpend {
			spent += e.Points
		}
	}
	if net != b.Active+b.Pending-b.Debt {
		t.Errorf("%s: history nets to %d, balance is %d", h, net, b.Active+b.Pending-b.Debt)
	}
	if spent != b.Spent {
		t.Errorf("%s: history spends %d, balance says %d", h, spent, b.Spent)
	}
	return b
}

// TestPointsMultiProcessSpend: separate OS processes, each with its own connections, spend
// from one holder more than it has; the balance never goes below zero, exactly the spends
// that fit succeed, and the balance, lots and history agree.
func TestPointsMultiProcessSpend(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const procs, spends, seed = 4, 12, 200 // 336 points asked of 200
		db := openMigratedDB(t, d)
		l := pointsLedger(t, db, d.dialect)
		if _, err := l.Adjust(pointsCtx, points.Adjustment{Key: "seed", Holder: pointsShared, Points: seed, Reason: "seed", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		ok, short := 0, 0
		for _, c := range pointsChildren(t, db, d, "spend", procs, pointsChildSpends+"="+strconv.Itoa(spends)) {
			lines := c.wait(t)
			var o, s int
			if len(lines) != 1 {
				t.Fatalf("child reported %q", lines)
			}
			if _, err := fmt.Sscanf(lines[0], "ok=%d short=%d", &o, &s); err != nil {
				t.Fatalf("child reported %q: %v", lines[0], err)
			}
			ok, short = ok+o, short+s
		}
		if ok+short != procs*spends {
			t.Errorf("%d spends succeeded and %d were refused, of %d", ok, short, procs*spends)
		}
		if want := seed / pointsSpendEach; ok != want {
			t.Errorf("%d spends of %d succeeded from %d points, want %d", ok, pointsSpendEach, seed, want)
		}
		b := pointsCheckLedger(t, l, NewPointsStore(db, d.dialect), pointsShared)
		if b.Active < 0 || b.Spent != points.Points(ok*pointsSpendEach) || b.Active != seed-b.Spent {
			t.Errorf("balance %+v after %d spends of %d from %d", b, ok, pointsSpendEach, seed)
		}
		var records int
		if err := db.QueryRow(`SELECT COUNT(*) FROM loyalty_idempotency WHERE scope = $1`, pointsScope).Scan(&records); err != nil || records != ok+1 {
			t.Errorf("%d idempotency records (%v), want one per successful spend and the seed, %d", records, err, ok+1)
		}
	})
}

// TestPointsMultiProcessCrash kills processes with SIGKILL while they earn and spend under
// keys in a loop: afterwards every balance agrees with its lots and history (a posting is
// wholly stored or not at all), and making every posting they started again under the same
// keys applies each exactly once.
func TestPointsMultiProcessCrash(t *testing.T) {
	eachDB(t, func(t *testing.T, d testDB) {
		const procs = 2
		db := openMigratedDB(t, d)
		l := pointsLedger(t, db, d.dialect)
		s := NewPointsStore(db, d.dialect)
		children := pointsChildren(t, db, d, "crash", procs)
		started := killWhileWorking(t, db, d, children, 60) // postings each child started: 0 .. started-1
		var stored int
		if err := db.QueryRow(`SELECT COUNT(*) FROM loyalty_idempotency WHERE scope = $1`, pointsScope).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		t.Logf("postings started %v, %d stored when the processes were killed", started, stored)
		for i := range procs {
			h := points.ForAccount(loyalty.AccountID("crash-" + strconv.Itoa(i)))
			if _, err := l.Balance(pointsCtx, h); err == nil {
				pointsCheckLedger(t, l, s, h) // consistent as the crash left it
			}
		}
		// Again, every posting started, under its key: each is applied exactly once.
		replayed := 0
		for i := range procs {
			var want points.Points
			for n := range started[i] {
				run, key, delta := pointsCrashPosting(l, strconv.Itoa(i), n)
				p, err := run()
				if err != nil {
					t.Fatalf("posting %s again: %v", key, err)
				}
				if p.Replayed {
					replayed++
				}
				want += delta
			}
			h := points.ForAccount(loyalty.AccountID("crash-" + strconv.Itoa(i)))
			b := pointsCheckLedger(t, l, s, h)
			if b.Available != want {
				t.Errorf("%s: %d points available after %d postings, want %d", h, b.Available, started[i], want)
			}
			es, err := l.History(pointsCtx, h, 0, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != started[i] {
				t.Errorf("%s: %d entries after %d postings", h, len(es), started[i])
			}
		}
		if replayed != stored {
			t.Errorf("%d postings were replayed, %d were stored before the crash", replayed, stored)
		}
	})
}
