package api_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// BenchmarkBatchAdd100x100 adds 100 roles to 100 members in one request,
// through the API of a server whose index follows every commit; the same
// request removing them again is not timed.
func BenchmarkBatchAdd100x100(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			e := MustEnv(b, eng)
			body := mustBatchSetup(b, e)
			for b.Loop() {
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-add", body)
				b.StopTimer()
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-remove", body)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkSingleWrites sends single writes from 16 clients at once, each
// adding and then removing one role on a member of its own, the members
// spread over 16 communities, through the API of a server whose index
// follows every commit; it reports writes/s and the latency percentiles.
// On PostgreSQL the database commits durably (synchronous_commit on), and
// the benchmark also runs pgbench, when it is installed, with as many
// clients, each committing one single-row INSERT per transaction: for 3 s
// just before the writes and for as long as they took just after, so that
// a host whose speed drifts moves both sides. Writes/s over the mean of
// pgbench's two commits/s is the ratio of the target; pgbench-drift is
// the larger of the two over the smaller.
func BenchmarkSingleWrites(b *testing.B) {
	const clients = 16
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			dsn := eng.DSN(b)
			if eng == sqltest.Postgres {
				dsn = strings.Replace(dsn, "synchronous_commit=off", "synchronous_commit=on", 1)
			}
			e := mustServe(b, eng, dsn, "", 0)
			role := make([]string, clients)
			for i := range clients {
				c := fmt.Sprintf("c%d", i)
				e.MustCommunity(b, c, "", fmt.Sprintf("m%d", i))
				role[i] = e.MustRole(b, c, "r", "MUTE_MEMBERS")
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			var next atomic.Int32
			lat := make([][]time.Duration, clients)
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			// Runs that only size b.N get no reference.
			reference := eng == sqltest.Postgres && b.N >= 100
			var tpsBefore float64
			if reference {
				var err error
				if tpsBefore, err = pgbenchInserts(dsn, clients, 3*time.Second); err != nil {
					b.Logf("no pgbench reference: %v", err)
					reference = false
				}
			}
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				w := int(next.Add(1)-1) % clients
				path := fmt.Sprintf("%s/v1/communities/c%d/members/m%d/roles/%s", e.URL, w, w, role[w])
				for n := 0; pb.Next(); n++ {
					method := http.MethodPut
					if n%2 == 1 {
						method = http.MethodDelete
					}
					req, _ := http.NewRequest(method, path, nil)
					req.Header.Set("Authorization", "Bearer "+e.Key)
					began := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s %s: got %d: %s", method, path, resp.StatusCode, body)
						return
					}
					lat[w] = append(lat[w], time.Since(began))
				}
			})
			elapsed := time.Since(start)
			var all []time.Duration
			for _, l := range lat {
				all = append(all, l...)
			}
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			rate := float64(len(all)) / elapsed.Seconds()
			b.ReportMetric(rate, "writes/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
			if reference {
				b.StopTimer()
				if tpsAfter, err := pgbenchInserts(dsn, clients, elapsed); err != nil {
					b.Logf("no pgbench reference: %v", err)
				} else {
					tps := (tpsBefore + tpsAfter) / 2
					b.ReportMetric(tps, "pgbench-tps")
					b.ReportMetric(max(tpsBefore, tpsAfter)/min(tpsBefore, tpsAfter), "pgbench-drift")
					b.ReportMetric(rate/tps, "writes/pgbench")
				}
			}
		})
	}
}

// pgbenchInserts runs pgbench against the database for about as long as d
// (at least 3 s), with the clients each committing one single-row INSERT
// per transaction, and returns its commits/s.
func pgbenchInserts(dsn string, clients int, d time.Duration) (float64, error) {
	path, err := exec.LookPath("pgbench")
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS pgbench_inserts (id BIGSERIAL PRIMARY KEY, v TEXT)`); err != nil {
		return 0, err
	}
	defer db.Exec(`DROP TABLE pgbench_inserts`)
	script := filepath.Join(os.TempDir(), fmt.Sprintf("roster-pgbench-%d.sql", os.Getpid()))
	if err := os.WriteFile(script, []byte("INSERT INTO pgbench_inserts (v) VALUES ('x');\n"), 0o600); err != nil {
		return 0, err
	}
	defer os.Remove(script)
	// libpq takes none of the URL's settings but sslmode; the server's
	// synchronous_commit is on.
	u, err := url.Parse(dsn)
	if err != nil {
		return 0, err
	}
	u.RawQuery = url.Values{"sslmode": {u.Query().Get("sslmode")}}.Encode()
	secs := max(3, int(d.Round(time.Second).Seconds()))
	out, err := exec.Command(path, "-n", "-f", script, "-c", strconv.Itoa(clients), "-j", strconv.Itoa(runtime.GOMAXPROCS(0)),
		"-T", strconv.Itoa(secs), u.String()).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench's output: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// BenchmarkHTTPCheck answers check requests through the server's handler
// alone, with no connection: what Roster's request path costs beyond what
// net/http does for any request. Its reference, "bare", is a handler that
// answers the same request with a constant body of the same size, setting
// the same headers; the CPU beyond that is reported as beyond-bare-ns.
func BenchmarkHTTPCheck(b *testing.B) {
	e := MustEnv(b, sqltest.SQLite)
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	e.MustCommunity(b, "c", "", users...)
	mod := e.MustRole(b, "c", "mod", "BAN_MEMBERS")
	e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-add", map[string]any{"userIds": users[:50], "roleIds": []string{mod}})
	single := `{"communityId":"c","userId":"u007","permission":"BAN_MEMBERS"}`
	var batch strings.Builder
	batch.WriteString(`{"checks":[`)
	for i, u := range users {
		if i > 0 {
			batch.WriteByte(',')
		}
		fmt.Fprintf(&batch, `{"communityId":"c","userId":%q,"permission":"BAN_MEMBERS"}`, u)
	}
	batch.WriteString(`]}`)
	for _, bc := range []struct {
		name, path, body string
		checks           int
	}{
		{"single", "/v1/check", single, 1},
		{"batch100", "/v1/check/batch", batch.String(), 100},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := &discardWriter{header: http.Header{}}
			req := newRequest(bc.path, bc.body, e.Key)
			serve(w, e.Server, req)
			if w.status != http.StatusOK || !strings.Contains(string(w.body), `"allowed":true`) {
				b.Fatalf("got %d %s", w.status, w.body)
			}
			answer := slices.Clone(w.body)
			bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				h := w.Header()
				h.Set("Content-Type", "application/json")
				h.Set("Content-Length", strconv.Itoa(len(answer)))
				w.Write(answer)
			})
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				serve(w, e.Server, req)
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			// As many answers of the reference, untimed by b.
			start = time.Now()
			for range b.N {
				serve(w, bare, req)
			}
			bareNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			b.ReportMetric(bareNs, "bare-ns/op")
			b.ReportMetric(ns-bareNs, "beyond-bare-ns/op")
			if bc.checks > 1 {
				b.ReportMetric(ns/float64(bc.checks), "ns/check")
			}
		})
	}
}

// serve sends one request to h, as net/http hands it to a handler: a
// copy of the request made once, with its body read again.
func serve(w *discardWriter, h http.Handler, req *request) {
	r := *req.r
	req.body.Reset(req.text)
	r.Body = &req.body
	clear(w.header)
	w.status, w.body = 0, w.body[:0]
	h.ServeHTTP(w, &r)
}

// request is a request to send again and again.
type request struct {
	r    *http.Request
	text string
	body readCloser
}

func newRequest(path, body, key string) *request {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+key)
	return &request{r: r, text: body}
}

type readCloser struct{ strings.Reader }

func (readCloser) Close() error { return nil }

// discardWriter keeps the last answer, reusing its memory.
type discardWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}
