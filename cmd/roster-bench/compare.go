package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// side is one of the two servers of --compare-bare: its workers, its
// process, and what its rounds measured.
type side struct {
	name    string
	workers []*worker
	pid     int
	rounds  []round
	// sum holds the counts of every round.
	sum worker
}

// round is what one round against one side measured.
type round struct {
	rate float64 // requests per second
	// cpu is the server's CPU time per request, tool this process's.
	cpu, tool time.Duration
	p50, p99  time.Duration
}

// compareBare runs --compare-bare: --rounds rounds of --duration against
// the server and then the bare server (the other way round every other
// round, so that neither always goes first), with the same requests from
// as many workers, each side's on connections of its own. Then it prints
// each side's requests/s and server CPU per request with their spread, and
// the ratio of the two rates, round by round. The server's answers are
// checked as in any run; the bare server's only counted.
func (b *Bench) compareBare(ctx context.Context, u *url.URL, workers []*worker) error {
	bareWorkers := make([]*worker, len(workers))
	defer func() {
		for _, w := range append(workers, bareWorkers...) {
			if w != nil {
				w.conn.Close()
			}
		}
	}()
	pid, err := b.serverPID(u)
	if err != nil {
		return err
	}
	// The bare server answers as many bytes as the server does.
	status, _, body, err := workers[0].do("POST", workers[0].path, workers[0].pool[0].body)
	if err != nil || status != 200 {
		return fmt.Errorf("--compare-bare: a first check: %d %.300s (%v)", status, body, err)
	}
	bare, err := b.startBare(ctx, len(body))
	if err != nil {
		return err
	}
	defer bare.stop()
	for i, w := range workers {
		c := *w
		c.conn, c.bare, c.buf = newConn(bare.url, b.Key), true, nil
		bareWorkers[i] = &c
	}
	roster := &side{name: "roster", workers: workers, pid: pid}
	floor := &side{name: "bare", workers: bareWorkers, pid: bare.pid}
	fmt.Fprintf(b.stdout, "compare: %d rounds of %s each against the server (pid %d%s) and a bare net/http server (pid %d) answering %d bytes\n",
		b.Rounds, b.Duration, pid, samePID(pid), bare.pid, len(body))
	for r := range b.Rounds {
		order := []*side{roster, floor}
		if r%2 == 1 {
			order = []*side{floor, roster}
		}
		for _, s := range order {
			if err := b.round(ctx, s); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for i, s := range []*side{roster, floor} {
			label := ""
			if i == 0 {
				label = fmt.Sprintf("round %d", r+1)
			}
			fmt.Fprintf(b.stdout, "  %-8s %-6s %s\n", label, s.name, b.roundLine(s.rounds[r], s == roster))
		}
		fmt.Fprintf(b.stdout, "  %-8s %-6s %.3f (requests/s, roster / bare)\n", "", "ratio", roster.rounds[r].rate/floor.rounds[r].rate)
	}
	b.summary(roster, floor)
	fmt.Fprintf(b.stdout, "  errors      %d\n", roster.sum.errs+floor.sum.errs)
	for _, s := range []*side{roster, floor} {
		if s.sum.firstErr != "" {
			fmt.Fprintf(b.stdout, "  first error %s: %s\n", s.name, s.sum.firstErr)
		}
	}
	fmt.Fprintf(b.stdout, "%d disagreements\n", roster.sum.disagreements)
	return errors.Join(roster.sum.failure(), floor.sum.failure())
}

// serverPID returns --server-pid, or the process listening on the port of
// u, whose CPU time every run reports.
func (b *Bench) serverPID(u *url.URL) (int, error) {
	if b.ServerPID > 0 {
		if _, err := processCPU(b.ServerPID); err != nil {
			return 0, fmt.Errorf("--server-pid %d: %w", b.ServerPID, err)
		}
		return b.ServerPID, nil
	}
	port, err := strconv.Atoi(u.Port())
	if u.Port() == "" {
		port, err = 80, nil
		if u.Scheme == "https" {
			port = 443
		}
	}
	if err != nil {
		return 0, err
	}
	pid, err := listenerPID(port)
	if err != nil {
		return 0, fmt.Errorf("the server's CPU time is read from its process: give --server-pid (%w)", err)
	}
	return pid, nil
}

// samePID notes a server running in this very process (as in tests): its
// CPU time then includes the load's.
func samePID(pid int) string {
	if pid == os.Getpid() {
		return ", this process: its CPU includes the load's"
	}
	return ""
}

// round runs one round against the side and records what it measured.
func (b *Bench) round(ctx context.Context, s *side) error {
	for _, w := range s.workers {
		w.reset()
	}
	cpu := watchCPU(s.pid)
	if cpu.err != nil {
		return fmt.Errorf("%s server: %w", s.name, cpu.err)
	}
	elapsed, tool := b.timed(ctx, s.workers)
	if cpu.stop(); cpu.err != nil {
		return fmt.Errorf("%s server: %w", s.name, cpu.err)
	}
	t := total(s.workers)
	s.sum.add(t)
	n := time.Duration(max(t.requests, 1))
	r := round{rate: float64(t.requests) / elapsed.Seconds(), cpu: cpu.used / n, tool: -1,
		p50: t.lat.quantile(0.5), p99: t.lat.quantile(0.99)}
	if tool >= 0 {
		r.tool = tool / n
	}
	s.rounds = append(s.rounds, r)
	return nil
}

// roundLine describes a round: requests/s (and for the server's batches
// checks/s), the server's CPU per request (and per check), latency, and the
// tool's CPU.
func (b *Bench) roundLine(r round, checks bool) string {
	checks = checks && b.Batch > 1
	var s strings.Builder
	fmt.Fprintf(&s, "%8.0f req/s", r.rate)
	if checks {
		fmt.Fprintf(&s, " (%.0f checks/s)", r.rate*float64(b.Batch))
	}
	fmt.Fprintf(&s, "  server CPU %s/request", micros(r.cpu))
	if checks {
		fmt.Fprintf(&s, " (%s/check)", micros(r.cpu/time.Duration(b.Batch)))
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms" }
	fmt.Fprintf(&s, "  p50 %s  p99 %s", ms(r.p50), ms(r.p99))
	if r.tool >= 0 {
		fmt.Fprintf(&s, "  tool CPU %s/request", micros(r.tool))
	}
	return s.String()
}

// summary prints, over the rounds, the median and range of each side's
// rate and CPU per request, of the ratio of the rates and of the CPU the
// server spends beyond the bare one.
func (b *Bench) summary(roster, floor *side) {
	var ratio, beyond, rcpu, fcpu, rrate, frate []float64
	for i, r := range roster.rounds {
		f := floor.rounds[i]
		ratio = append(ratio, r.rate/f.rate)
		beyond = append(beyond, float64(r.cpu-f.cpu)/1e3)
		rcpu, fcpu = append(rcpu, float64(r.cpu)/1e3), append(fcpu, float64(f.cpu)/1e3)
		rrate, frate = append(rrate, r.rate), append(frate, f.rate)
	}
	out := b.stdout
	fmt.Fprintf(out, "over %d rounds (median, min–max):\n", len(ratio))
	fmt.Fprintf(out, "  roster  %s req/s  server CPU %sµs/request", spread(rrate, 0), spread(rcpu, 1))
	if b.Batch > 1 {
		perCheck := make([]float64, len(rcpu))
		for i, c := range rcpu {
			perCheck[i] = c / float64(b.Batch)
		}
		fmt.Fprintf(out, ", %sµs/check", spread(perCheck, 3))
	}
	fmt.Fprintf(out, "\n  bare    %s req/s  server CPU %sµs/request\n", spread(frate, 0), spread(fcpu, 1))
	fmt.Fprintf(out, "  ratio   %s (requests/s, roster / bare)\n", spread(ratio, 3))
	fmt.Fprintf(out, "  beyond  %sµs of server CPU per request\n", spread(beyond, 1))
}

// spread is "median (min–max)" of xs, with prec decimals.
func spread(xs []float64, prec int) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', prec, 64) }
	return f(median) + " (" + f(s[0]) + "–" + f(s[len(s)-1]) + ")"
}

// micros formats d in microseconds with one decimal.
func micros(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
}

// reset zeroes the worker's counts, keeping its connection and its place
// in the pool.
func (w *worker) reset() {
	w.lat, w.wlat = histogram{}, histogram{}
	w.requests, w.checks, w.allowed, w.writes, w.errs, w.disagreements = 0, 0, 0, 0, 0, 0
	w.firstErr = ""
}
