package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// entry is one request of the pool drawn before the timed run: its body,
// its checks and the answers the model expects.
type entry struct {
	body   []byte
	checks []query
	expect []bool
}

// load runs the closed-loop load for the duration and prints the report;
// rev is the revision of the seeding's last change (0 when not seeding).
func (b *Bench) load(ctx context.Context, d *dataset, rev int64) error {
	path := "/v1/check"
	if b.Batch > 1 {
		path = "/v1/check/batch"
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(u.Path, "/")
	var pool []entry
	if !b.Mixed {
		start := time.Now()
		pool = b.pool(d, rand.New(rand.NewPCG(b.Seed, 0x706f6f6c)))
		fmt.Fprintf(b.stdout, "drew %d checks in %d request bodies in %s\n", len(pool)*b.Batch, len(pool), since(start))
	}
	if rev > 0 {
		// Wait until the server answers from the seeded state.
		body := fmt.Appendf(nil, `{"minRevision":%d,"communityId":%q,"userId":"x","permission":"VIEW_CHANNEL"}`, rev, d.communities[0].id)
		if _, _, err := b.call(ctx, "POST", "/v1/check", body); err != nil {
			return fmt.Errorf("waiting for the server to reach revision %d: %w", rev, err)
		}
	}

	workers := b.workers(d, u, base, base+path, pool, rev)
	mode := "single checks (POST /v1/check)"
	if b.Batch > 1 {
		mode = fmt.Sprintf("batches of %d checks (POST /v1/check/batch)", b.Batch)
	}
	if b.Mixed {
		mode += ", mixed: 1% of requests role writes (PUT/DELETE .../members/{u}/roles/{r}), checks with minRevision"
	}
	fmt.Fprintf(b.stdout, "load: %s, concurrency %d, %s, channel share %.2f\n", mode, b.Concurrency, b.Duration, b.ChannelShare)
	if b.CompareBare {
		return b.compareBare(ctx, u, workers)
	}
	srv := b.watchServer(u)
	elapsed, cpu := b.timed(ctx, workers)
	srv.stop()
	for _, w := range workers {
		w.conn.Close()
	}
	return b.report(workers, elapsed, cpu, srv)
}

// serverCPU is the CPU time the server's process used over a run, read
// from /proc/<pid>/stat before and after it.
type serverCPU struct {
	pid   int
	start time.Duration
	used  time.Duration
	// err says why the server's CPU time is not known.
	err error
}

// watchServer starts measuring the CPU time of the server's process
// (--server-pid, or the one listening on the port of u).
func (b *Bench) watchServer(u *url.URL) *serverCPU {
	pid, err := b.serverPID(u)
	if err != nil {
		return &serverCPU{err: err}
	}
	return watchCPU(pid)
}

// watchCPU starts measuring the CPU time of process pid.
func watchCPU(pid int) *serverCPU {
	s := &serverCPU{pid: pid}
	s.start, s.err = processCPU(pid)
	return s
}

// stop ends the measure.
func (s *serverCPU) stop() {
	if s.err != nil {
		return
	}
	end, err := processCPU(s.pid)
	s.used, s.err = end-s.start, err
}

// workers returns the load's workers, each with its own connection to u
// (not yet dialled), sending to path; base is the path of the API's root.
func (b *Bench) workers(d *dataset, u *url.URL, base, path string, pool []entry, rev int64) []*worker {
	workers := make([]*worker, b.Concurrency)
	for i := range workers {
		workers[i] = &worker{b: b, d: d, conn: newConn(u, b.Key), base: base, path: path, pool: pool, next: i * len(pool) / len(workers),
			rng: rand.New(rand.NewPCG(b.Seed, uint64(i))), batch: b.Batch, held: map[memberRef][]uint8{}}
		if b.Mixed {
			workers[i].rev = rev
		}
	}
	if b.Mixed {
		for _, ref := range d.members {
			w := workers[int(d.communities[ref.c].members[ref.m])%len(workers)]
			w.own = append(w.own, ref)
		}
	}
	return workers
}

// timed runs the workers for --duration and returns the time it took and
// the CPU time this process used meanwhile (-1 when unknown).
func (b *Bench) timed(ctx context.Context, workers []*worker) (elapsed, cpu time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, b.Duration)
	defer cancel()
	var wg sync.WaitGroup
	cpu, start := cpuTime(), time.Now()
	for _, w := range workers {
		if b.Mixed && len(w.own) == 0 {
			continue
		}
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	elapsed = time.Since(start)
	if cpu >= 0 {
		cpu = cpuTime() - cpu
	}
	return elapsed, cpu
}

// pool draws the checks sent in turn during the timed run, as request
// bodies built ahead so that the run spends little time on them.
func (b *Bench) pool(d *dataset, rng *rand.Rand) []entry {
	n := max(1, b.Pool/b.Batch)
	pool := make([]entry, n)
	for i := range pool {
		e := &pool[i]
		e.checks = make([]query, b.Batch)
		e.expect = make([]bool, b.Batch)
		for j := range e.checks {
			q := d.draw(rng, b.ChannelShare, d.members)
			e.checks[j], e.expect[j] = q, d.expect(q, d.seeded(q.ref))
		}
		e.body = b.appendBody(nil, d, 0, e.checks)
	}
	return pool
}

// appendBody appends the JSON body of a request carrying checks.
func (b *Bench) appendBody(buf []byte, d *dataset, minRevision int64, checks []query) []byte {
	if b.Batch == 1 {
		buf = d.appendCheck(buf, checks[0])
		if minRevision > 0 {
			buf = strconv.AppendInt(append(buf[:len(buf)-1], `,"minRevision":`...), minRevision, 10)
			buf = append(buf, '}')
		}
		return buf
	}
	buf = append(buf, '{')
	if minRevision > 0 {
		buf = strconv.AppendInt(append(buf, `"minRevision":`...), minRevision, 10)
		buf = append(buf, ',')
	}
	buf = append(buf, `"checks":[`...)
	for i, q := range checks {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = d.appendCheck(buf, q)
	}
	return append(buf, "]}"...)
}

// worker sends requests back to back on its own connection.
type worker struct {
	b     *Bench
	d     *dataset
	conn  *conn
	base  string // the path of the API's root, "" for the host's root
	path  string // the check route
	pool  []entry
	next  int
	rng   *rand.Rand
	batch int
	buf   []byte
	// bare is set on the workers loading the bare server of
	// --compare-bare: its answers are counted, not compared.
	bare bool

	// Mixed mode: the memberships this worker alone writes and checks, the
	// roles it changed, the revision of its last write and the memberships
	// it wrote lately.
	own    []memberRef
	held   map[memberRef][]uint8
	rev    int64
	recent []memberRef
	mixed  entry

	lat, wlat                   histogram
	requests, checks, allowed   int64
	writes, errs, disagreements int64
	firstErr                    string
}

func (w *worker) run(ctx context.Context) {
	var e entry
	for ops := 0; ctx.Err() == nil; ops++ {
		if w.b.Mixed {
			if ops%100 == 0 {
				if !w.write(ops / 100 % 2) {
					return
				}
				continue
			}
			e = w.draw()
		} else {
			e = w.pool[w.next]
			if w.next++; w.next == len(w.pool) {
				w.next = 0
			}
		}
		start := time.Now()
		status, _, body, err := w.do("POST", w.path, e.body)
		w.lat.record(time.Since(start))
		w.requests++
		if w.failed(status, body, err) || w.bare {
			continue
		}
		w.checks += int64(len(e.checks))
		w.compare(e, body)
	}
}

// do sends one request and reads the whole answer into the worker's buffer.
func (w *worker) do(method, path string, body []byte) (int, int64, []byte, error) {
	status, rev, out, err := w.conn.do(method, path, body, w.buf)
	w.buf = out
	return status, rev, out, err
}

// failed counts an error answer, keeping the first.
func (w *worker) failed(status int, body []byte, err error) bool {
	if err == nil && status/100 == 2 {
		return false
	}
	w.errs++
	if w.firstErr == "" {
		if err != nil {
			w.firstErr = err.Error()
		} else {
			w.firstErr = fmt.Sprintf("%d %.1000s", status, body)
		}
	}
	if err != nil {
		time.Sleep(10 * time.Millisecond) // do not spin on a server that is gone
	}
	return true
}

var allowedKey = []byte(`"allowed":`)

// compare reads the answers in order and counts those that disagree with
// the model.
func (w *worker) compare(e entry, body []byte) {
	rest := body
	for i, want := range e.expect {
		at := bytes.Index(rest, allowedKey)
		if at < 0 || at+len(allowedKey) >= len(rest) {
			w.errs++
			if w.firstErr == "" {
				w.firstErr = fmt.Sprintf("answer %d of %d missing in %.1000s", i+1, len(e.expect), body)
			}
			return
		}
		got := rest[at+len(allowedKey)] == 't'
		rest = rest[at+len(allowedKey):]
		if got {
			w.allowed++
		}
		if got != want {
			w.disagreements++
			q := e.checks[i]
			w.b.disagree(fmt.Sprintf("%s: expected allowed=%t, got allowed=%t (minRevision %d); the model's roles: %s; answer %.300s",
				w.d.describe(q), want, got, w.rev, w.d.roleNames(q.ref.c, w.roles(q.ref)), bytes.TrimSpace(body)))
		}
	}
}

var reportMu sync.Mutex

// disagree prints one disagreement, the first 50 of a run in full.
func (b *Bench) disagree(s string) {
	reportMu.Lock()
	defer reportMu.Unlock()
	if b.printed++; b.printed <= 50 {
		fmt.Fprintln(b.stdout, "DISAGREEMENT:", s)
	} else if b.printed == 51 {
		fmt.Fprintln(b.stdout, "DISAGREEMENT: more follow, counted but not printed")
	}
}

// total merges the workers' counts.
func total(workers []*worker) *worker {
	var t worker
	for _, w := range workers {
		t.add(w)
	}
	return &t
}

// add adds the counts and latencies of o to w.
func (w *worker) add(o *worker) {
	w.lat.merge(&o.lat)
	w.wlat.merge(&o.wlat)
	w.requests += o.requests
	w.checks += o.checks
	w.allowed += o.allowed
	w.writes += o.writes
	w.errs += o.errs
	w.disagreements += o.disagreements
	if w.firstErr == "" {
		w.firstErr = o.firstErr
	}
}

// report merges the workers' counts and prints them, with this process's
// CPU time (cpu, -1 when unknown) and the server's.
func (b *Bench) report(workers []*worker, elapsed, cpu time.Duration, srv *serverCPU) error {
	t := total(workers)
	s := elapsed.Seconds()
	out := b.stdout
	fmt.Fprintf(out, "  elapsed     %s\n", elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "  requests    %d  (%.0f/s)\n", t.requests, float64(t.requests)/s)
	fmt.Fprintf(out, "  checks      %d  (%.0f checks/s)\n", t.checks, float64(t.checks)/s)
	fmt.Fprintf(out, "  allowed     %.1f%%\n", 100*float64(t.allowed)/float64(max(t.checks, 1)))
	fmt.Fprintf(out, "  latency     %s (check requests)\n", t.lat.summary())
	if b.Mixed {
		fmt.Fprintf(out, "  writes      %d  (%.0f/s)\n", t.writes, float64(t.writes)/s)
		fmt.Fprintf(out, "  write lat.  %s\n", t.wlat.summary())
	}
	if cpu >= 0 {
		fmt.Fprintf(out, "  tool CPU    %s (%.1fµs per request, %.2f cores)\n",
			cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(max(t.requests+t.writes, 1)), cpu.Seconds()/s)
	}
	if srv.err != nil {
		fmt.Fprintf(out, "  server CPU  unknown: %v\n", srv.err)
	} else {
		fmt.Fprintf(out, "  server CPU  %s (%sµs per request, %sµs per check, %.2f cores%s)\n",
			srv.used.Round(time.Millisecond), perEach(srv.used, t.requests+t.writes, 1), perEach(srv.used, t.checks, 3),
			srv.used.Seconds()/s, samePID(srv.pid))
	}
	fmt.Fprintf(out, "  errors      %d\n", t.errs)
	if t.firstErr != "" {
		fmt.Fprintf(out, "  first error %s\n", t.firstErr)
	}
	fmt.Fprintf(out, "%d disagreements\n", t.disagreements)
	return t.failure()
}

// perEach is d over n in microseconds, with prec decimals.
func perEach(d time.Duration, n int64, prec int) string {
	return strconv.FormatFloat(float64(d)/1e3/float64(max(n, 1)), 'f', prec, 64)
}

// failure is the error of a run with disagreements, failed requests or no
// request at all; nil for a clean one.
func (t *worker) failure() error {
	var errs []error
	if t.disagreements > 0 {
		errs = append(errs, fmt.Errorf("%d answers disagreed with the model", t.disagreements))
	}
	if t.errs > 0 {
		errs = append(errs, fmt.Errorf("%d requests failed; the first: %s", t.errs, t.firstErr))
	}
	if t.requests == 0 {
		errs = append(errs, errors.New("no request completed"))
	}
	return errors.Join(errs...)
}

// histogram counts latencies in log-linear buckets: 64 per power of two of
// nanoseconds, so each is within 1.6% of the value.
type histogram struct {
	counts [64 * 40]int64
	n      int64
	max    time.Duration
}

func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	i := int(v)
	if v >= 64 {
		e := bits.Len64(uint64(v)) - 7
		i = (e+1)*64 + int(v>>e) - 64
	}
	h.counts[min(i, len(h.counts)-1)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the middle of the bucket holding the q-th latency.
func (h *histogram) quantile(q float64) time.Duration {
	rank := int64(q*float64(h.n)) + 1
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			if i < 64 {
				return time.Duration(i)
			}
			e := i/64 - 1
			return time.Duration((int64(i%64+64) << e) + (int64(1)<<e)/2)
		}
	}
	return h.max
}

func (h *histogram) summary() string {
	if h.n == 0 {
		return "none"
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms" }
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s", ms(h.quantile(0.50)), ms(h.quantile(0.95)), ms(h.quantile(0.99)), ms(h.max))
}
