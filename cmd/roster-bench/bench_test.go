package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

const benchKey = "a-long-enough-admin-key"

// tinyDataset are the size flags of a dataset that seeds in a moment.
var tinyDataset = []string{"--communities", "3", "--roles", "5", "--users", "50", "--assignments", "300", "--channels", "2", "--duration", "1s", "--concurrency", "4", "--pool", "2000"}

// benchServer starts a Roster server in-process, as `roster serve` does
// (store, index, API), on a loopback port over a new SQLite database, with
// benchKey as its admin key; the key is also put in the environment, where
// roster-bench finds it. It returns the server's URL; the server stops when
// the test ends.
func benchServer(t *testing.T) string {
	t.Helper()
	t.Setenv("ROSTER_ADMIN_KEY", benchKey)
	ctx := context.Background()
	db := sqltest.SQLite.Open(t, sqlstore.Options{})
	if _, err := db.EnsureBootstrapKey(ctx, benchKey); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(index.NewService(db, ix), api.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(func() {
		srv.Close()
		ix.Close()
	})
	return srv.URL
}

// bench runs roster-bench against the server at url with args after the
// tiny dataset's flags, changing its model with tamper when not nil.
func bench(t *testing.T, url string, tamper func(*dataset), args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	b := NewBench(&out, &errs)
	if err := b.ParseFlags(append(append([]string{"--url", url}, tinyDataset...), args...)); err != nil {
		t.Fatal(err)
	}
	b.tamper = tamper
	b.childEnv = []string{runMainEnv + "=1"}
	defer b.Close()
	err := b.Run(context.Background())
	t.Logf("roster-bench %s:\n%s%s", strings.Join(args, " "), out.String(), errs.String())
	return out.String(), err
}

// serverCPULine is the report's line of the server's CPU time: the server
// of these tests runs in the test's process.
var serverCPULine = regexp.MustCompile(`\n  server CPU  [0-9.]+m?s \([0-9.]+µs per request, [0-9.]+µs per check, [0-9.]+ cores, this process: its CPU includes the load's\)\n`)

var checksPerSecond = regexp.MustCompile(`checks +(\d+) +\((\d+) checks/s\)`)

// mustReport checks a clean report: checks answered at a nonzero rate, no
// error and no disagreement.
func mustReport(t *testing.T, out string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	m := checksPerSecond.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("report: no checks line in\n%s", out)
	}
	if n, _ := strconv.Atoi(m[2]); n <= 0 {
		t.Fatalf("report: got %s checks/s, want more than 0", m[2])
	}
	for _, want := range []string{"\n0 disagreements\n", "  errors      0\n", "p50 ", "p99 "} {
		if !strings.Contains(out, want) {
			t.Errorf("report: missing %q in\n%s", want, out)
		}
	}
}

func TestBenchSeedsAndLoads(t *testing.T) {
	url := benchServer(t)

	out, err := bench(t, url, nil, "--prefix", "one")
	mustReport(t, out, err)
	for _, want := range []string{"300 assignments", "assignments/s over the whole seeding", "single checks (POST /v1/check)"} {
		if !strings.Contains(out, want) {
			t.Errorf("seeding report: missing %q", want)
		}
	}

	out, err = bench(t, url, nil, "--prefix", "one", "--no-seed", "--batch", "20", "--channel-share", "0.5")
	mustReport(t, out, err)
	if !strings.Contains(out, "batches of 20 checks") || strings.Contains(out, "seeding through") {
		t.Errorf("batch report: want batches of 20 and no seeding\n%s", out)
	}
	if runtime.GOOS == "linux" && !serverCPULine.MatchString(out) {
		t.Errorf("batch report: want the server's CPU time per request and per check\n%s", out)
	}

	// Mixed mode through the command line, as a user runs it.
	var buf bytes.Buffer
	err = Run(context.Background(), append([]string{"--url", url, "--prefix", "mixed", "--mixed"}, tinyDataset...), &buf, io.Discard)
	out = buf.String()
	t.Logf("roster-bench --mixed:\n%s", out)
	mustReport(t, out, err)
	m := regexp.MustCompile(`writes +(\d+) `).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("mixed report: want writes counted\n%s", out)
	}
}

// TestBenchFailsOnDisagreement changes the server's state behind the tool's
// back: the tool must name the checks whose answers disagree with its model
// and fail.
func TestBenchFailsOnDisagreement(t *testing.T) {
	url := benchServer(t)
	out, err := bench(t, url, nil, "--prefix", "x", "--duration", "100ms")
	mustReport(t, out, err)

	req, _ := http.NewRequest("PATCH", url+"/v1/communities/x-c0001/roles/everyone", strings.NewReader(`{"permissions": []}`))
	req.Header.Set("Authorization", "Bearer "+benchKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH everyone: %v %v", resp, err)
	}
	resp.Body.Close()

	out, err = bench(t, url, nil, "--prefix", "x", "--no-seed")
	mustDisagree(t, out, err, "community x-c0001 ")
}

// TestBenchMixedFailsOnDisagreement gives the mixed mode's checker a wrong
// model: the community's everyone role granting every key but
// ADMINISTRATOR.
func TestBenchMixedFailsOnDisagreement(t *testing.T) {
	url := benchServer(t)
	out, err := bench(t, url, func(d *dataset) { d.communities[1].everyone = 0xfffe }, "--prefix", "y", "--mixed")
	mustDisagree(t, out, err, "community y-c0002 ")
}

func mustDisagree(t *testing.T, out string, err error, where string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "disagreed with the model") {
		t.Fatalf("bench: got %v, want an error saying answers disagreed", err)
	}
	if !strings.Contains(out, "DISAGREEMENT: "+where) || !strings.Contains(out, "expected allowed=true, got allowed=false") && !strings.Contains(out, "expected allowed=false, got allowed=true") {
		t.Errorf("report: want disagreements in %s printed with what was expected and got\n%s", where, out)
	}
	m := regexp.MustCompile(`\n(\d+) disagreements\n`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("report: want the number of disagreements\n%s", out)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"mixed without seeding", []string{"--mixed", "--no-seed"}, nil, "cannot be used with --no-seed"},
		{"batch too large", []string{"--batch", "1001"}, nil, "--batch"},
		{"channel share", []string{"--channel-share", "1.5"}, nil, "--channel-share"},
		{"too many roles", []string{"--roles", "249"}, nil, "--roles"},
		{"bad prefix", []string{"--prefix", "a b"}, nil, "--prefix"},
		{"bad url", []string{"--url", "127.0.0.1:8080"}, nil, "--url"},
		{"url without a host", []string{"--url", "http://"}, nil, "--url"},
		{"too many users", []string{"--users", "3000000000"}, nil, "--users"},
		{"pool too large", []string{"--pool", "100000000"}, nil, "--pool"},
		{"too many channels", []string{"--channels", "501"}, nil, "--channels"},
		{"bad env", nil, map[string]string{"ROSTER_BENCH_CONCURRENCY": "many"}, "ROSTER_BENCH_CONCURRENCY"},
		{"env twin", nil, map[string]string{"ROSTER_BENCH_BATCH": "0"}, "--batch"},
		{"arguments", []string{"extra"}, nil, "no arguments"},
		{"compare with mixed", []string{"--compare-bare", "--mixed"}, nil, "--compare-bare"},
		{"no rounds", []string{"--compare-bare", "--rounds", "0"}, nil, "--rounds"},
		{"negative pid", []string{"--server-pid", "-1"}, nil, "--server-pid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := NewBench(io.Discard, io.Discard).ParseFlags(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBenchDatasetIsDeterministicAndHalfAllowed(t *testing.T) {
	a := newDataset("p", 7, 20, 30, 2000, 20000, 3)
	b := newDataset("p", 7, 20, 30, 2000, 20000, 3)
	if a.assignments != 20000 || len(a.members) != 20000/rolesPerMember {
		t.Fatalf("got %d assignments over %d memberships, want 20000 over %d", a.assignments, len(a.members), 20000/rolesPerMember)
	}
	allowed, rng := 0, rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		if q := a.draw(rng, 0.3, a.members); a.expect(q, a.seeded(q.ref)) {
			allowed++
		}
	}
	if share := float64(allowed) / 20000; share < 0.4 || share > 0.6 {
		t.Errorf("allowed share: got %.2f, want about a half", share)
	}
	for i, c := range a.communities {
		d := b.communities[i]
		if c.id != d.id || len(c.members) != len(d.members) || len(c.sets) != len(d.sets) || c.roles[3].mask != d.roles[3].mask {
			t.Fatalf("community %d differs between two builds of the same dataset", i)
		}
	}
}
