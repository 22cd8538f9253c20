//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loyaltykit/loyalty"
	"github.com/loyaltykit/loyalty/campaign"
	"github.com/loyaltykit/loyalty/points"
	"github.com/loyaltykit/loyalty/sqlstore"
	"github.com/loyaltykit/loyalty/tier"
)

// TestMain runs the child processes of TestERPSurvivesKill: this test binary started again
// with ERP_CHILD_DB set runs the batch on that database and kills itself with SIGKILL at the
// write transaction number ERP_CHILD_KILL (counting the Updates of the orders, points and
// tier stores from 1): before it starts when the number is even, after it committed (before
// the caller hears of it) when it is odd. Either way the process dies in the middle of the
// batch, most often in the middle of an order's commit.
func TestMain(m *testing.M) {
	if db := os.Getenv("ERP_CHILD_DB"); db != "" {
		at, err := strconv.Atoi(os.Getenv("ERP_CHILD_KILL"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "erp child: ERP_CHILD_KILL:", err)
			os.Exit(2)
		}
		k := &killer{at: at}
		h := hooks{wrap: func(st campaign.Stores) campaign.Stores {
			st.Orders = killOrders{st.Orders, k}
			st.Points = killPoints{st.Points, k}
			st.Tiers = killTiers{st.Tiers, k}
			return st
		}}
		if err := run(context.Background(), os.Stdout, []string{"-db", db}, h); err != nil {
			fmt.Fprintln(os.Stderr, "erp child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killer kills this process at the write transaction number at.
type killer struct {
	mu    sync.Mutex
	calls int
	at    int
}

func (k *killer) update(write func() error) error {
	k.mu.Lock()
	k.calls++
	n := k.calls
	k.mu.Unlock()
	if n == k.at && n%2 == 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	err := write()
	if n == k.at {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return err
}

type killOrders struct {
	campaign.OrderStore
	k *killer
}

func (s killOrders) Update(ctx context.Context, fn func(tx campaign.OrderTx) error) error {
	return s.k.update(func() error { return s.OrderStore.Update(ctx, fn) })
}

type killPoints struct {
	points.Store
	k *killer
}

func (s killPoints) Update(ctx context.Context, fn func(tx points.Tx) error) error {
	return s.k.update(func() error { return s.Store.Update(ctx, fn) })
}

type killTiers struct {
	tier.Store
	k *killer
}

func (s killTiers) Update(ctx context.Context, fn func(tx tier.Tx) error) error {
	return s.k.update(func() error { return s.Store.Update(ctx, fn) })
}

// A batch killed with SIGKILL in the middle, again and again (each run going a little
// further), and then run to the end ends in the state of one uninterrupted run. The children
// are this test binary again (see TestMain).
func TestERPSurvivesKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "erp.db")
	kills := 0
	for _, at := range []int{3, 8, 13, 21, 30, 41} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "ERP_CHILD_DB="+db, "ERP_CHILD_KILL="+strconv.Itoa(at))
		out, err := cmd.Output()
		if err == nil { // the batch ended before its write number at
			t.Logf("the child finished the batch before write %d", at)
			break
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child killing itself at write %d: %v, want killed by SIGKILL; output:\n%s", at, err, out)
		}
		kills++
		t.Logf("killed at write %d after %d new commits; in the database: %s", at, strings.Count(string(out), ": committed:"), journal(t, db))
	}
	if kills < 3 {
		t.Fatalf("only %d children were killed before the batch ended; choose earlier write numbers", kills)
	}
	out := runERP(t, hooks{}, "-db", db)
	if diff := cmp.Diff(wantState, state(t, out)); diff != "" {
		t.Errorf("state after the kills and a last run (-want +got):\n%s", diff)
	}
}

// journal describes the commit records of the sample's order documents in the database at
// path: how many are done and which are pending.
func journal(t *testing.T, path string) string {
	t.Helper()
	db, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := sample.Open("sample/orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, _, err := readOrders("orders.csv", f, time.UTC, loyalty.MustCurrency("RUB"))
	if err != nil {
		t.Fatal(err)
	}
	done, pending := 0, []string{}
	err = sqlstore.NewOrderStore(db, sqlstore.SQLite).View(context.Background(), func(tx campaign.OrderReadTx) error {
		for _, d := range docs {
			c, err := tx.Commit(d.key)
			switch {
			case errors.Is(err, loyalty.ErrNotFound):
			case err != nil:
				return err
			case c.State == campaign.Done:
				done++
			default:
				pending = append(pending, fmt.Sprintf("%s %s", d.document, c.State))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d commits done, pending: %v", done, pending)
}
