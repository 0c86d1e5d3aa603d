package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
)

// Follower answers checks in the host's process: it loads a snapshot of the
// server's state into the same index the server checks with, then follows
// the change stream, so that its answers are the server's at the revision
// it reports. Checks read memory alone.
type Follower struct {
	*index.Index
	log *remoteLog
}

var _ roster.CheckService = (*Follower)(nil)

// FollowOptions configure a follower.
type FollowOptions struct {
	// Wait bounds how long a check waits for its minRevision; 2 s when 0.
	Wait time.Duration
	// LongPoll is how long each request for changes waits for the next
	// ones; 30 s when 0, at most roster.MaxFollowWait.
	LongPoll time.Duration
	// Log tells of failures to follow; slog.Default when nil.
	Log *slog.Logger
}

// Follow loads the state the key reaches and follows the change stream
// until Close. It retries a failed request, after a pause, for ever; no
// change is missed. Follow with a key of every community: one restricted
// to a community gets that community alone, without the platform scope
// (platform roles, and permissions registered after the snapshot), so its
// answers leave those out, and its revision is that of its community's
// last change, so that WaitFor a revision of a change elsewhere waits in
// vain.
func Follow(ctx context.Context, c *Client, opt FollowOptions) (*Follower, error) {
	if opt.LongPoll <= 0 {
		opt.LongPoll = 30 * time.Second
	}
	opt.LongPoll = min(opt.LongPoll, roster.MaxFollowWait)
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	life, stop := context.WithCancel(context.Background())
	l := &remoteLog{c: c, opt: opt, life: life, stop: stop}
	ix, err := index.Open(ctx, l, index.Options{Wait: opt.Wait, Poll: opt.LongPoll, Log: opt.Log})
	if err != nil {
		stop()
		return nil, err
	}
	return &Follower{Index: ix, log: l}, nil
}

// Close stops following: the long poll and any catch-up under way end at
// once.
func (f *Follower) Close() error {
	f.log.stop()
	err := f.Index.Close()
	f.log.wg.Wait()
	return err
}

// remoteLog is a server's change log, read over HTTP: the snapshot, the
// change feed, and a long poll that tells of new changes as they come.
type remoteLog struct {
	c    *Client
	opt  FollowOptions
	life context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu sync.Mutex
	// loaded is the revision of the last snapshot, where the long poll
	// starts.
	loaded roster.Revision
}

// LoadState reads the snapshot into the sink.
func (l *remoteLog) LoadState(ctx context.Context, sink roster.StateSink) (roster.Revision, error) {
	body, err := l.c.stream(ctx, call{method: "GET", path: "/v1/snapshot"})
	if err != nil {
		return 0, err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	for {
		var line struct {
			Permission string
			Community  *roster.Community
			Role       *roster.Role
			Member     *struct{ CommunityID, UserID string }
			Grant      *struct {
				Scope      string
				Assignment roster.Assignment
			}
			Channel  *roster.Channel
			Revision *roster.Revision
		}
		if err := dec.Decode(&line); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("client: the snapshot ended before its revision: %w", err)
		}
		switch {
		case line.Permission != "":
			sink.Permission(line.Permission)
		case line.Community != nil:
			sink.Community(*line.Community)
		case line.Role != nil:
			sink.Role(*line.Role)
		case line.Member != nil:
			sink.Member(line.Member.CommunityID, line.Member.UserID)
		case line.Grant != nil:
			sink.Grant(line.Grant.Scope, line.Grant.Assignment)
		case line.Channel != nil:
			sink.Channel(*line.Channel)
		case line.Revision != nil:
			l.mu.Lock()
			l.loaded = *line.Revision
			l.mu.Unlock()
			return *line.Revision, nil
		}
	}
}

// Changes reads the events after a revision.
func (l *remoteLog) Changes(ctx context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	page, err := l.c.Follow(ctx, roster.EventFilter{}, after, limit, 0)
	return page.Events, err
}

// OnCommit long-polls the change feed from the snapshot's revision and
// tells fn of each page of new events; after a failure it pauses, then
// tells fn that changes may have been missed (revision 0) and goes on.
func (l *remoteLog) OnCommit(fn func(rev roster.Revision, events []roster.Event)) {
	l.mu.Lock()
	after := l.loaded
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		pause := time.Second
		for l.life.Err() == nil {
			page, err := l.c.Follow(l.life, roster.EventFilter{}, after, roster.MaxPageLimit, l.opt.LongPoll)
			if err != nil {
				if l.life.Err() != nil {
					return
				}
				l.opt.Log.Warn("client: following the change stream", "err", err)
				select {
				case <-l.life.Done():
					return
				case <-time.After(pause):
				}
				pause = min(2*pause, 30*time.Second)
				fn(0, nil)
				continue
			}
			pause = time.Second
			if n := len(page.Events); n > 0 {
				fn(page.Events[n-1].Revision, page.Events)
			}
			after = max(after, page.Next)
		}
	}()
}
