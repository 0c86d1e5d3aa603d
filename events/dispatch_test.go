package events_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// mustDispatch opens a store on SQLite with a feed and a dispatcher (with
// opt, to loopback, its leases renewed every 100 ms) for the test, and
// returns the store and a context of the system actor.
func mustDispatch(t *testing.T, opt events.DispatchOptions) (*sqlstore.DB, context.Context) {
	t.Helper()
	db := sqltest.SQLite.Open(t, sqlstore.Options{})
	ctx := roster.NewContext(context.Background(), roster.SystemActor)
	feed, err := events.Open(ctx, db, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt.AllowPrivate, opt.Lease = true, 300*time.Millisecond
	d := events.StartDispatcher(db, feed, opt)
	t.Cleanup(func() {
		d.Close()
		feed.Close()
	})
	return db, ctx
}

// TestFailingEndpointIsDisabled has an endpoint answer 500 to everything:
// once it has failed for DisableAfter, it is disabled, saying why, and
// no more attempts are made.
func TestFailingEndpointIsDisabled(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	retries := make([]time.Duration, 100)
	for i := range retries {
		retries[i] = 20 * time.Millisecond
	}
	db, ctx := mustDispatch(t, events.DispatchOptions{Retries: retries, DisableAfter: 300 * time.Millisecond})
	w, _, err := db.CreateWebhook(ctx, roster.Webhook{URL: srv.URL, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "c1", Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if w, err = db.GetWebhook(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if !w.Enabled || time.Now().After(deadline) {
			break
		}
	}
	if w.Enabled || !strings.Contains(w.DisabledReason, "failing since") || !strings.Contains(w.DisabledReason, "500") {
		t.Fatalf("an endpoint failing for longer than DisableAfter: got enabled %v, reason %q; want it disabled, saying why", w.Enabled, w.DisabledReason)
	}
	n := hits.Load()
	time.Sleep(200 * time.Millisecond)
	if hits.Load() != n {
		t.Errorf("a disabled endpoint: got %d more attempts, want none", hits.Load()-n)
	}
	attempts, _, err := db.ListDeliveries(ctx, w.ID, roster.Page{})
	if err != nil || len(attempts) == 0 || attempts[0].Outcome != roster.OutcomeFailed {
		t.Errorf("deliveries: got %+v, %v; want the last attempt failed", attempts, err)
	}
}

// TestSlowEndpointDelaysNoOther has one endpoint take 2 s to answer each
// message: another endpoint, fed the same events, has them all long
// before the slow one has its second.
func TestSlowEndpointDelaysNoOther(t *testing.T) {
	t.Parallel()
	var slowHits, fastHits atomic.Int32
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		select {
		case <-time.After(2 * time.Second):
		case <-release:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	defer close(release)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fastHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer fast.Close()
	db, ctx := mustDispatch(t, events.DispatchOptions{})
	for _, url := range []string{slow.URL, fast.URL} {
		if _, _, err := db.CreateWebhook(ctx, roster.Webhook{URL: url, Events: []string{"community."}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 10
	for i := range n {
		if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "c" + string(rune('a'+i)), Name: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(1500 * time.Millisecond); fastHits.Load() < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := fastHits.Load(); got < n || slowHits.Load() > 1 {
		t.Errorf("with a slow endpoint beside it: the fast one got %d of %d events while the slow one had %d; want all, and one", got, n, slowHits.Load())
	}
}
