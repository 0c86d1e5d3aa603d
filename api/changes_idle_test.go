package api_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// readsCounted is a store that counts the reads of the log that reach the
// database.
type readsCounted struct {
	roster.Store
	reads atomic.Int64
}

func (s *readsCounted) Changes(ctx context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	s.reads.Add(1)
	return s.Store.Changes(ctx, after, limit)
}

func (s *readsCounted) FollowEvents(ctx context.Context, f roster.EventFilter, after roster.Revision, limit int) ([]roster.Event, roster.EventFilter, error) {
	if limit > 0 || roster.ActorFrom(ctx).IsUser() {
		s.reads.Add(1)
	}
	return s.Store.FollowEvents(ctx, f, after, limit)
}

// TestIdleWatchesCostNoQuery opens 50 watch streams and leaves them idle
// for 3 s: the database is read by the feed's one follower, about once a
// second, not by each stream.
func TestIdleWatchesCostNoQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var counted *readsCounted
	var feed *events.Feed
	e := mustEnvOwn(t, sqltest.SQLite, func(db *sqlstore.DB) api.Options {
		counted = &readsCounted{Store: db}
		var err error
		if feed, err = events.Open(ctx, counted, events.Options{}); err != nil {
			t.Fatal(err)
		}
		return api.Options{Feed: feed, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	})
	defer feed.Close() // before the server closes: it ends the streams
	const streams = 50
	for range streams {
		w := e.mustWatch(t, ctx, "communityId=quiet", "")
		if m := w.next(t); m.event != "checkpoint" {
			t.Fatalf("a stream's first message: got %+v, want a checkpoint", m)
		}
	}
	before := counted.reads.Load()
	time.Sleep(3 * time.Second)
	if reads := counted.reads.Load() - before; reads > 5 {
		t.Errorf("%d idle streams for 3 s: the log was read %d times, want about 3 (the feed's polls), none per stream", streams, reads)
	} else {
		t.Logf("%d idle streams for 3 s: the log was read %d times", streams, reads)
	}
}
