package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Helpers shared by the tests of the stores: rapid's number of checks under the race
// detector, and the child processes of the multi-process tests.

// rapidChecksChosen reports whether the command line or RAPID_CHECKS chose rapid's number
// of checks; it is decided once, before fewerRapidChecks sets the flag itself.
var rapidChecksChosen = sync.OnceValue(func() bool {
	chosen := false
	flag.Visit(func(f *flag.Flag) { chosen = chosen || f.Name == "rapid.checks" })
	_, env := os.LookupEnv("RAPID_CHECKS")
	return chosen || env
})

// fewerRapidChecks lowers rapid's number of checks to n until the test ends, unless the
// command line (-rapid.checks) or RAPID_CHECKS chose a number. It must be called from a
// test that is not parallel, so that no other test runs rapid meanwhile. The tests call it
// under the race detector (raceEnabled), which slows the pure-Go SQLite some twenty to
// thirty times.
func fewerRapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil || rapidChecksChosen() {
		return
	}
	old := f.Value.String()
	if err := flag.Set(f.Name, strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set(f.Name, old) })
}

// openMigratedDB opens d with at most eight connections, applies the migrations and
// returns the handle, closed when the test ends.
func openMigratedDB(t testing.TB, d testDB) *sql.DB {
	t.Helper()
	db := mustOpen(t, d)
	db.SetMaxOpenConns(8)
	if _, err := Migrate(context.Background(), db, d.dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// emptyTables deletes every row of tables.
func emptyTables(t testing.TB, db *sql.DB, tables []string) {
	t.Helper()
	for _, table := range tables {
		if _, err := db.Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
}

// checkDiff reports err, or a difference between want and got (cmp.Diff), as an error of
// the test about what.
func checkDiff[T any](t *testing.T, what string, want, got T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// benchClients is how many clients the parallel benchmarks run.
const benchClients = 8

// parallelClients makes b.RunParallel run about benchClients goroutines (clients) in all,
// with as many connections in db's pool.
func parallelClients(b *testing.B, db *sql.DB) {
	db.SetMaxOpenConns(benchClients)
	db.SetMaxIdleConns(benchClients)
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchClients + procs - 1) / procs)
}

// The multi-process tests run this test binary again as child processes, each running
// one Test…ChildProcess function, told what to do by environment variables of its store.

// childTarget returns what a child process opens to reach the database of db and d: the
// DSN of LOYALTY_PG_DSN with db's search_path on PostgreSQL, the file on SQLite.
func childTarget(t *testing.T, db *sql.DB, d testDB) string {
	t.Helper()
	var target string
	switch d.dialect {
	case Postgres:
		var schema string
		if err := db.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		dsn := os.Getenv("LOYALTY_PG_DSN")
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		target = dsn + sep + "search_path=" + schema + "&application_name=" + childAppName
	case SQLite:
		var seq int
		var name string
		if err := db.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &target); err != nil {
			t.Fatal(err)
		}
	}
	return target
}

// openChildDB opens, in a child process, the database named by the value of the
// environment variable dialectEnv ("postgres" or "sqlite") and target (see childTarget),
// with at most two connections; it is closed when the test ends.
func openChildDB(t *testing.T, dialectEnv, target string) (*sql.DB, Dialect) {
	t.Helper()
	var db *sql.DB
	var dialect Dialect
	var err error
	switch os.Getenv(dialectEnv) {
	case "postgres":
		db, err = OpenPostgres(target)
		dialect = Postgres
	case "sqlite":
		db, err = OpenSQLite(target)
		dialect = SQLite
	default:
		t.Fatalf("unknown %s %q", dialectEnv, os.Getenv(dialectEnv))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(2)
	return db, dialect
}

// waitForStart waits, in a child process, for the line on its standard input that
// startChildren sends when all children have started.
func waitForStart(t *testing.T) {
	t.Helper()
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("waiting for the start: %v", err)
	}
}

// childProcess is a running child process and the lines it reports.
type childProcess struct {
	cmd   *exec.Cmd
	lines chan string // closed when its output ends
}

// wait waits for the child to end and returns its reported lines; the child must succeed.
func (c *childProcess) wait(t *testing.T) []string {
	t.Helper()
	var lines []string
	for l := range c.lines {
		lines = append(lines, l)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child process: %v", err)
	}
	return lines
}

// startChildren starts n child processes running only the test named test, child i with
// env(i) added to its environment, waits until all have started, and lets them go together
// (see waitForStart). The lines of a child's standard output that start with prefix and a
// space are its reports (without the prefix); its standard error goes to the test's. The
// children are killed when the test ends, or after a minute.
func startChildren(t *testing.T, test, prefix string, n int, env func(i int) []string) []*childProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	children := make([]*childProcess, n)
	stdins := make([]io.WriteCloser, n)
	for i := range children {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), env(i)...)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &childProcess{cmd: cmd, lines: make(chan string, 4096)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(c.lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), prefix+" "); ok {
					c.lines <- line
				}
			}
		}()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			_ = cmd.Wait()
		})
		children[i], stdins[i] = c, stdin
	}
	for _, stdin := range stdins {
		if _, err := io.WriteString(stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
		stdin.Close()
	}
	return children
}

// checkPaging pages through every stored ID with list, three at a time, and checks that the
// pages hold exactly ids in byte-wise order, and that a bound which is not a storable ID
// (invalid UTF-8) still bounds, byte by byte. It returns list's errors.
func checkPaging(t *testing.T, ids []string, list func(after string, limit int) ([]string, error)) error {
	t.Helper()
	want := slices.Clone(ids)
	slices.Sort(want)
	var got []string
	after := ""
	for {
		page, err := list(after, 3)
		if err != nil {
			return err
		}
		got = append(got, page...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged IDs, not in byte order (-want +got):\n%s", diff)
	}
	var wantAfter []string
	for _, id := range want {
		if id > "a\xff" {
			wantAfter = append(wantAfter, id)
		}
	}
	gotAfter, err := list("a\xff", 100)
	if err != nil {
		return err
	}
	if diff := cmp.Diff(wantAfter, gotAfter); diff != "" {
		t.Errorf("IDs after an invalid UTF-8 bound (-want +got):\n%s", diff)
	}
	return nil
}

// childAppName is the application_name of the child processes' PostgreSQL connections.
const childAppName = "loyaltykit-test-child"

// killWhileWorking lets the children work until they have reported at least atLeast units
// of work in all and at least three each, then kills them all with SIGKILL and returns how
// many units each started (its reports are numbered from 0: "<n> ..."). On PostgreSQL it
// returns once the server has finished with the killed children's connections: a COMMIT
// sent just before the kill may still be applied, and the caller counts what was stored.
func killWhileWorking(t *testing.T, db *sql.DB, d testDB, children []*childProcess, atLeast int) []int {
	t.Helper()
	started := make([]int, len(children))
	reported := 0
	for reported < atLeast || slices.Min(started) < 3 {
		for i, c := range children {
			select {
			case line, ok := <-c.lines:
				if !ok {
					t.Fatalf("child %d ended: %v", i, c.wait(t))
				}
				started[i]++
				reported++
				if n, _, _ := strings.Cut(line, " "); n != strconv.Itoa(started[i]-1) {
					t.Fatalf("child %d reported %q as unit %d", i, line, started[i]-1)
				}
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	for _, c := range children {
		if err := c.cmd.Process.Kill(); err != nil { // SIGKILL on Unix
			t.Fatal(err)
		}
	}
	for i, c := range children {
		for range c.lines { // reported before the signal landed
			started[i]++
		}
		if err := c.cmd.Wait(); err == nil {
			t.Fatal("a killed child process succeeded")
		}
	}
	if d.dialect == Postgres {
		waitForNoSessions(t, db, "application_name", childAppName, 30*time.Second)
	}
	return started
}

// waitForNoSessions waits until the PostgreSQL server behind db serves no session whose
// pg_stat_activity column (application_name, datname) is value, and fails t when some are
// still there after within.
func waitForNoSessions(t *testing.T, db *sql.DB, column, value string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE `+column+` = $1`, value).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still serves %d sessions with %s %s", n, column, value)
		}
	}
}
