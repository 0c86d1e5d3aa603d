package sqlstore

import (
	"errors"
	"sync"
)

// On PostgreSQL the role changes of a group run side by side, each in a
// goroutine of its own, and what they send at each moment goes in one
// pipeline: a group of n changes costs the round trips of one. Changes
// whose scopes overlap run in turn, in waves, so that each sees the one
// before it. A change sends only reads until it ends: it holds back its
// writes, which go with the next pipeline once it succeeded, so that a
// change refused leaves nothing behind and the others go on. A statement
// that fails at the database aborts the transaction, and with it every
// change of the group: the group then runs each change alone (see
// commitGroup).

// errAlone is the failure of a group run side by side that each of its
// writes must be run alone to sort out.
var errAlone = errors.New("sqlstore: a statement of a group failed; its writes run alone")

// wave is writes running side by side, and the pipelines they wait for.
type wave struct {
	mu sync.Mutex
	// idle is signalled when no write runs: each waits for a pipeline or
	// has ended.
	idle    sync.Cond
	running int
	waiting []*request
	g       *group
}

// request is a write's statements waiting for the next pipeline.
type request struct {
	steps []step
	done  chan error
}

// pipe sends the write's held-back statements and steps with the next
// pipeline, and waits for their results.
func (w *wave) pipe(tx *Tx, steps []step) error {
	r := &request{steps: append(tx.held, steps...), done: make(chan error, 1)}
	tx.held = nil
	w.mu.Lock()
	w.waiting = append(w.waiting, r)
	w.stopped()
	w.mu.Unlock()
	return <-r.done
}

// end ends a write: what a successful one held back goes with the group's
// next pipeline.
func (w *wave) end(tx *Tx, err error) {
	w.mu.Lock()
	if err == nil {
		w.g.held = append(w.g.held, tx.held...)
	}
	tx.held = nil
	w.stopped()
	w.mu.Unlock()
}

// stopped counts a write that stops running. The caller holds mu.
func (w *wave) stopped() {
	if w.running--; w.running == 0 {
		w.idle.Signal()
	}
}

// sideBySide runs the group's writes side by side, wave by wave, and fills
// in the transaction of each that succeeded and the error of each that
// failed. It returns an error for a failure of the whole group.
func (g *group) sideBySide(jobs []*job, txs []*Tx, results []jobResult) error {
	for _, wave := range waves(jobs) {
		if err := g.runWave(jobs, wave, txs, results); err != nil {
			return err
		}
	}
	return nil
}

// runWave runs the writes at the indexes given side by side: whenever
// none runs, it sends what they wait for in one pipeline.
func (g *group) runWave(jobs []*job, at []int, txs []*Tx, results []jobResult) error {
	w := &wave{g: g}
	w.idle.L = &w.mu
	ends := make([]error, len(jobs))
	// The writes start under the lock, so that none stops before all are
	// counted.
	w.mu.Lock()
	for _, i := range at {
		j := jobs[i]
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		tx := g.newTx(j)
		tx.wave, txs[i] = w, tx
		w.running++
		go func() {
			err := j.fn(tx)
			ends[i] = err
			w.end(tx, err)
		}()
	}
	w.mu.Unlock()
	for {
		w.mu.Lock()
		for w.running > 0 {
			w.idle.Wait()
		}
		reqs := w.waiting
		w.waiting, w.running = nil, len(reqs)
		w.mu.Unlock()
		if len(reqs) == 0 {
			break
		}
		var steps []step
		for _, r := range reqs {
			steps = append(steps, r.steps...)
		}
		err := g.pipe(steps...)
		for _, r := range reqs {
			r.done <- err
		}
	}
	if g.err != nil {
		if g.fails(g.err) {
			return g.err
		}
		return errAlone
	}
	for _, i := range at {
		if err := ends[i]; err != nil {
			if g.fails(err) {
				return err
			}
			results[i].err, txs[i] = err, nil
		}
	}
	return nil
}

// waves orders the writes into waves: each write goes in the wave after
// the last one holding a write that shares one of its scopes, so that
// the writes of a wave share none and those of a scope keep their order.
func waves(jobs []*job) [][]int {
	var out [][]int
	last := map[string]int{}
	for i, j := range jobs {
		w := 0
		for _, s := range j.scopes {
			if k, ok := last[s]; ok {
				w = max(w, k+1)
			}
		}
		if w == len(out) {
			out = append(out, nil)
		}
		out[w] = append(out[w], i)
		for _, s := range j.scopes {
			last[s] = w
		}
	}
	return out
}
