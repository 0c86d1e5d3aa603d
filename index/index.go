// Package index answers permission checks from memory. An Index loads the
// state checks depend on from a store's change log, then follows the log:
// the store calls it after each commit, and it polls as a fallback. Checks,
// batch checks and effective permissions read only the index, never the
// database, and each answers the revision it was evaluated at.
//
// Checks take no lock: each reads one snapshot of the state, published
// through an atomic pointer, which never changes. The follower, one at a
// time, applies events to the next version and publishes it; a change
// copies only the few pages and nodes it touches (see state).
package index

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
)

// Options configure an index.
type Options struct {
	// Now is the clock that decides expiry; time.Now when nil.
	Now roster.Clock
	// Wait bounds how long a check waits for the index to reach its
	// minRevision; 2 s when zero.
	Wait time.Duration
	// Poll is how often the index reads the log without being told of a
	// commit; 1 s when zero.
	Poll time.Duration
	// Log reports failures to follow the log; slog.Default when nil.
	Log *slog.Logger
}

// Index is an in-memory view of the authorization state, kept current by
// following a change log. It is safe for concurrent use.
type Index struct {
	log roster.ChangeLog
	opt Options

	// snap is the snapshot checks read.
	snap atomic.Pointer[snapshot]

	// follow, a one-slot semaphore, serializes reading and applying the
	// log, and sweeping; waiting for it ends with the waiter's context.
	// st, from which the follower publishes snapshots, is read and
	// changed only by the holder of follow.
	follow chan struct{}
	st     *state
	// life ends at Close; stop ends it.
	life context.Context
	stop context.CancelFunc
	done chan struct{}
}

// Open loads the state from the log, registers for its commits and starts
// polling. Close stops it.
func Open(ctx context.Context, log roster.ChangeLog, opt Options) (*Index, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Wait == 0 {
		opt.Wait = 2 * time.Second
	}
	if opt.Poll == 0 {
		opt.Poll = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	ix := &Index{log: log, opt: opt, follow: make(chan struct{}, 1)}
	if err := ix.load(ctx); err != nil {
		return nil, err
	}
	if err := ix.catchUp(ctx); err != nil {
		return nil, err
	}
	ix.life, ix.stop = context.WithCancel(context.Background())
	ix.done = make(chan struct{})
	// Events committed before the hook is in place are read by the next
	// catch-up, which starts from the index's revision.
	log.OnCommit(func(rev roster.Revision, events []roster.Event) {
		if rev != 0 && rev <= ix.Revision() {
			return // read already, by a poll or another catch-up
		}
		ix.followOnce(events)
	})
	go ix.poll()
	return ix, nil
}

// followOnce catches up once, for at most followTimeout, and not after
// Close: with the events of a commit when they are the next ones, from the
// log otherwise.
func (ix *Index) followOnce(events []roster.Event) {
	ctx, cancel := context.WithTimeout(ix.life, followTimeout)
	defer cancel()
	if len(events) > 0 && ix.applyNext(ctx, events) {
		return
	}
	ix.catchUp(ctx)
}

// applyNext applies events, a commit's, when those the index has not
// applied yet follow its revision with no gap, and reports whether it
// holds them all then.
func (ix *Index) applyNext(ctx context.Context, events []roster.Event) bool {
	select {
	case ix.follow <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	defer func() { <-ix.follow }()
	for len(events) > 0 && events[0].Revision <= ix.Revision() {
		events = events[1:] // read already, by another catch-up
	}
	if len(events) == 0 {
		return true
	}
	for i, e := range events {
		if e.Revision != ix.Revision()+roster.Revision(i+1) {
			return false
		}
	}
	ix.logged(ctx, ix.applyEvents(ctx, events))
	return true
}

// load replaces the state with the log's current state. The caller holds
// follow, or is Open.
func (ix *Index) load(ctx context.Context) error {
	st := newState(ix.opt.Now)
	rev, err := ix.log.LoadState(ctx, st)
	if err != nil {
		return fmt.Errorf("index: load: %w", err)
	}
	ix.st = st
	ix.publish(rev)
	return nil
}

// followTimeout bounds a catch-up after a commit or at a poll, so that a
// database that stops answering holds no one for long; loadTimeout bounds
// loading the whole state again.
const (
	followTimeout = 5 * time.Second
	loadTimeout   = 5 * time.Minute
)

// Close stops following the log.
func (ix *Index) Close() error {
	if ix.stop != nil {
		ix.stop()
		<-ix.done
	}
	return nil
}

// Revision returns the revision of the last event applied.
func (ix *Index) Revision() roster.Revision { return ix.snap.Load().rev }

// publish makes the state the snapshot checks read, at revision rev or the
// last one's if that is higher, and wakes those waiting for a new one. The
// caller holds follow, or is Open.
func (ix *Index) publish(rev roster.Revision) {
	last := ix.snap.Load()
	if last != nil {
		rev = max(rev, last.rev)
	}
	ix.snap.Store(ix.st.publish(rev))
	if last != nil {
		close(last.advanced)
	}
}

// catchUp reads and applies every event after the index's revision. An
// event it cannot read makes it load the whole state again, so that the
// index never stays behind.
func (ix *Index) catchUp(ctx context.Context) error {
	select {
	case ix.follow <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ix.follow }()
	const page = 1000
	for {
		events, err := ix.log.Changes(ctx, ix.Revision(), page)
		if err != nil {
			return ix.logged(ctx, fmt.Errorf("index: reading the change log: %w", err))
		}
		if len(events) == 0 {
			return ix.logged(ctx, nil)
		}
		if err := ix.applyEvents(ctx, events); err != nil {
			return ix.logged(ctx, err)
		}
		if len(events) < page {
			// A short page holds every event committed when it was read:
			// a later commit's hook catches up again.
			return ix.logged(ctx, nil)
		}
	}
}

// applyEvents applies events, the next ones after the index's revision.
// An event it cannot read makes it load the whole state again, so that the
// index never stays behind; it returns that load's failure. The caller
// holds follow.
func (ix *Index) applyEvents(ctx context.Context, events []roster.Event) error {
	changes := make([]change, 0, len(events))
	for _, e := range events {
		fn, err := decode(e)
		if err != nil {
			ix.opt.Log.Error("index: an event cannot be applied; loading the state again", "err", err)
			// A load takes seconds on a big database: longer than the
			// bound of a catch-up, which must not cut it short.
			load, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
			defer cancel()
			return ix.load(load)
		}
		if fn != nil {
			changes = append(changes, fn)
		}
	}
	ix.apply(changes, events[len(events)-1].Revision)
	return nil
}

// apply makes the changes and publishes them at revision rev. The caller
// holds follow.
func (ix *Index) apply(changes []change, rev roster.Revision) {
	for _, fn := range changes {
		fn(ix.st)
	}
	ix.publish(rev)
}

// logged returns err, having logged it unless it is the caller's context
// ending.
func (ix *Index) logged(ctx context.Context, err error) error {
	if err != nil && ctx.Err() == nil {
		ix.opt.Log.Error("index: following the change log", "err", err)
	}
	return err
}

// Ready reads the log up to its newest event, and reports ENOTREADY when
// it cannot: checks would then answer from old state.
func (ix *Index) Ready(ctx context.Context) error {
	if err := ix.catchUp(ctx); err != nil {
		return roster.Errorf(roster.ENOTREADY, "the check index cannot follow the change log")
	}
	return nil
}

func (ix *Index) poll() {
	defer close(ix.done)
	t := time.NewTicker(ix.opt.Poll)
	defer t.Stop()
	for {
		select {
		case <-ix.life.Done():
			return
		case <-t.C:
			ix.followOnce(nil)
			ix.sweep()
		}
	}
}

// sweep refreshes the members whose grants have expired, publishing a
// snapshot only when some have.
func (ix *Index) sweep() {
	select {
	case ix.follow <- struct{}{}:
	case <-ix.life.Done():
		return
	}
	defer func() { <-ix.follow }()
	if ix.st.sweep() {
		ix.publish(0)
	}
}

// reach waits until the index reaches min, or the bounded wait ends with
// EREVISIONNOTREADY.
func (ix *Index) reach(ctx context.Context, min roster.Revision) error {
	if ix.Revision() >= min {
		return nil
	}
	wait, cancel := context.WithTimeout(ctx, ix.opt.Wait)
	defer cancel()
	// The catch-up runs beside the wait, which alone bounds the check.
	go ix.followOnce(nil)
	for {
		v := ix.snap.Load()
		if v.rev >= min {
			return nil
		}
		select {
		case <-v.advanced:
		case <-wait.Done():
			return roster.Errorf(roster.EREVISIONNOTREADY, "revision %d is not reached yet (now at %d); retry later", min, v.rev).
				With("revision", int64(v.rev))
		}
	}
}

// WaitFor waits until the index holds revision min (a revision a write
// answered, for read-your-writes), or ctx ends.
func (ix *Index) WaitFor(ctx context.Context, min roster.Revision) error {
	if ix.Revision() < min {
		go ix.followOnce(nil) // one catch-up now; the log's commits do the rest
	}
	for {
		v := ix.snap.Load()
		if v.rev >= min {
			return nil
		}
		select {
		case <-v.advanced:
		case <-ctx.Done():
			return roster.Errorf(roster.EREVISIONNOTREADY, "revision %d is not reached yet (now at %d)", min, v.rev).With("revision", int64(v.rev))
		}
	}
}

// service is a store whose checks the index answers.
type service struct {
	roster.Store
	*Index
}

// NewService returns the store with its checks answered by the index.
func NewService(st roster.Store, ix *Index) roster.Service { return service{Store: st, Index: ix} }

// Close stops the index, then closes the store.
func (s service) Close() error {
	s.Index.Close()
	return s.Store.Close()
}
