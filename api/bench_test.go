package api_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
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
			users := make([]string, 100)
			for i := range users {
				users[i] = fmt.Sprintf("u%03d", i)
			}
			e.MustCommunity(b, "c", "", users...)
			roles := make([]string, 100)
			for i := range roles {
				roles[i] = e.MustRole(b, "c", fmt.Sprintf("role %d", i), "MUTE_MEMBERS")
			}
			body := map[string]any{"userIds": users, "roleIds": roles}
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
// the benchmark also runs pgbench, when it is installed, for as long with
// as many clients, each committing one single-row INSERT per transaction:
// writes/s over pgbench's commits/s is the ratio of the target.
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
			if eng == sqltest.Postgres {
				if tps, err := pgbenchInserts(dsn, clients, elapsed); err != nil {
					b.Logf("no pgbench reference: %v", err)
				} else {
					b.ReportMetric(tps, "pgbench-tps")
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
