// Package events makes Roster's change log something others follow: a
// feed that serves it, live, to readers and streams (one follower per
// process, fanning out to all of them), and the delivery of its events to
// webhooks.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
)

var (
	_ roster.ChangeFeed    = (*Feed)(nil)
	_ roster.WebhookSender = (*Dispatcher)(nil)
)

// Options configure a feed.
type Options struct {
	// Keep is how many of the newest events the feed holds in memory, from
	// which it serves readers that are near the head of the log; readers
	// further behind read the database. 10,000 when zero.
	Keep int
	// Poll is how often the feed reads the log without being told of a
	// commit; 1 s when zero.
	Poll time.Duration
	// Log reports failures to follow the log; slog.Default when nil.
	Log *slog.Logger
}

// Feed follows a store's change log and serves it to any number of
// readers, each waiting for the next events without a query of its own.
// It implements roster.ChangeFeed.
type Feed struct {
	store roster.Store
	opt   Options

	mu sync.Mutex
	// recent holds every event after base, up to rev, oldest first.
	recent []roster.Event
	base   roster.Revision
	rev    roster.Revision
	// advanced is closed, and replaced, when rev advances or the feed
	// closes.
	advanced chan struct{}
	closed   bool

	kick chan struct{}
	stop context.CancelFunc
	done chan struct{}

	// readers counts the calls of Follow under way.
	readers atomic.Int64
}

// Readers returns how many readers are following now (long polls and
// streams waiting, and reads under way).
func (f *Feed) Readers() int { return int(f.readers.Load()) }

// Open starts following the store's log from its newest revision.
func Open(ctx context.Context, store roster.Store, opt Options) (*Feed, error) {
	if opt.Keep <= 0 {
		opt.Keep = 10_000
	}
	if opt.Poll == 0 {
		opt.Poll = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	rev, err := store.CurrentRevision(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	f := &Feed{store: store, opt: opt, base: rev, rev: rev, advanced: make(chan struct{}),
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	life, stop := context.WithCancel(context.Background())
	f.stop = stop
	store.OnCommit(func(rev roster.Revision, events []roster.Event) {
		if rev != 0 && rev <= f.Revision() {
			return
		}
		if len(events) == 0 || !f.add(events) {
			f.wake()
		}
	})
	go f.follow(life)
	return f, nil
}

// Close stops following; readers waiting are answered ENOTREADY.
func (f *Feed) Close() error {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.advanced)
	}
	f.mu.Unlock()
	f.stop()
	<-f.done
	return nil
}

// Revision returns the newest revision the feed holds.
func (f *Feed) Revision() roster.Revision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rev
}

// wake asks the follower to read the log.
func (f *Feed) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// add appends events, which follow one another, when the first of those
// after the feed's revision is the next one; it reports whether the feed
// holds them all then.
func (f *Feed) add(events []roster.Event) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if events = f.unseen(events); len(events) == 0 {
		return true
	}
	if events[0].Revision != f.rev+1 {
		return false
	}
	f.append(events)
	return true
}

// unseen returns the events after the feed's revision. The caller holds
// mu.
func (f *Feed) unseen(events []roster.Event) []roster.Event {
	for len(events) > 0 && events[0].Revision <= f.rev {
		events = events[1:]
	}
	return events
}

// append adds events, every one after the feed's revision, dropping the
// oldest beyond Keep, and wakes the readers. The caller holds mu.
func (f *Feed) append(events []roster.Event) {
	if f.closed {
		return
	}
	f.recent = append(f.recent, events...)
	if extra := len(f.recent) - f.opt.Keep; extra > f.opt.Keep/4 {
		// Drop in steps, so that copying is paid for rarely.
		f.base = f.recent[extra-1].Revision
		f.recent = append(f.recent[:0:0], f.recent[extra:]...)
	}
	f.rev = events[len(events)-1].Revision
	close(f.advanced)
	f.advanced = make(chan struct{})
}

// follow reads the log when woken, and at each poll.
func (f *Feed) follow(ctx context.Context) {
	defer close(f.done)
	t := time.NewTicker(f.opt.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		case <-t.C:
		}
		if err := f.catchUp(ctx); err != nil && ctx.Err() == nil {
			f.opt.Log.Error("events: following the change log", "err", err)
		}
	}
}

// catchUp reads every event after the feed's revision. The log is read
// in revision order with no event missing, so each page follows the last.
func (f *Feed) catchUp(ctx context.Context) error {
	const page = 1000
	for {
		events, err := f.store.Changes(ctx, f.Revision(), page)
		if err != nil {
			return err
		}
		if len(events) > 0 {
			f.mu.Lock()
			// A commit's hook may have added some meanwhile.
			if fresh := f.unseen(events); len(fresh) > 0 {
				f.append(fresh)
			}
			f.mu.Unlock()
		}
		if len(events) < page {
			return nil
		}
	}
}

// Follow answers the events after a revision that match the filter,
// waiting up to wait for one when none has come yet.
func (f *Feed) Follow(ctx context.Context, filter roster.EventFilter, after roster.Revision, limit int, wait time.Duration) (roster.ChangePage, error) {
	if limit == 0 {
		limit = roster.DefaultPageLimit
	}
	if err := checkFollow(after, limit, wait); err != nil {
		return roster.ChangePage{}, err
	}
	f.readers.Add(1)
	defer f.readers.Add(-1)
	_, filter, err := f.store.FollowEvents(ctx, filter, after, 0)
	if err != nil {
		return roster.ChangePage{}, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		page, advanced, err := f.read(ctx, filter, after, limit)
		if err != nil || len(page.Events) > 0 || wait <= 0 {
			return page, err
		}
		after = page.Next
		select {
		case <-advanced:
		case <-timer.C:
			wait = 0
		case <-ctx.Done():
			return page, ctx.Err()
		}
	}
}

// checkFollow validates a follower's request.
func checkFollow(after roster.Revision, limit int, wait time.Duration) error {
	var errs []roster.FieldError
	if after < 0 {
		errs = append(errs, roster.FieldError{Location: "after", Message: "must be a revision, 0 or more", Value: int64(after)})
	}
	if limit < 1 || limit > roster.MaxPageLimit {
		errs = append(errs, roster.FieldError{Location: "limit", Message: fmt.Sprintf("must be between 1 and %d", roster.MaxPageLimit), Value: limit})
	}
	if wait < 0 || wait > roster.MaxFollowWait {
		errs = append(errs, roster.FieldError{Location: "wait", Message: fmt.Sprintf("must be between 0s and %s", roster.MaxFollowWait), Value: wait.String()})
	}
	if len(errs) > 0 {
		return roster.Invalid(errs...)
	}
	return nil
}

// read answers one page: from memory when the feed holds every event after
// the revision, else from the database. It returns the channel closed when
// the feed next advances.
func (f *Feed) read(ctx context.Context, filter roster.EventFilter, after roster.Revision, limit int) (roster.ChangePage, <-chan struct{}, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return roster.ChangePage{Next: after}, nil, roster.Errorf(roster.ENOTREADY, "the server is shutting down; follow the log from revision %d on another one", after)
	}
	advanced, rev := f.advanced, f.rev
	if after >= f.base {
		page := f.scan(filter, after, limit)
		f.mu.Unlock()
		return page, advanced, nil
	}
	f.mu.Unlock()
	events, _, err := f.store.FollowEvents(ctx, filter, after, limit)
	if err != nil {
		return roster.ChangePage{Next: after}, nil, err
	}
	page := roster.ChangePage{Events: events, Next: max(after, rev)}
	if n := len(events); n == limit || n > 0 && events[n-1].Revision > page.Next {
		// Every event up to the last one was read; after it, maybe not.
		page.Next = events[n-1].Revision
	}
	return page, advanced, nil
}

// scan answers a page from memory. The caller holds mu.
func (f *Feed) scan(filter roster.EventFilter, after roster.Revision, limit int) roster.ChangePage {
	page := roster.ChangePage{Events: []roster.Event{}, Next: max(after, f.rev)}
	from := sort.Search(len(f.recent), func(i int) bool { return f.recent[i].Revision > after })
	for _, e := range f.recent[from:] {
		if !filter.Match(e) {
			continue
		}
		page.Events = append(page.Events, e)
		if len(page.Events) == limit {
			page.Next = e.Revision
			break
		}
	}
	return page
}
