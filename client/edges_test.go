package client_test

// The client and the follower at their edges: ids that are not path
// segments, many retries, an empty log, long polls past the bound, Close
// during a catch-up, failover of writes the server may have taken.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// The ids "." and ".." are refused, by the server and, before sending,
// by the client: such a path segment names another route once the server
// cleans it (".." of a member is the community).
func TestEdgeDotIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	owner := "olive"
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.AddMembers(ctx, "guild", []string{".."}); roster.ErrorCode(err) != roster.EVALIDATION {
		t.Errorf("AddMembers of ..: got %v, want validation_failed", err)
	}
	if _, err := c.RemoveMember(ctx, "guild", ".."); roster.ErrorCode(err) != roster.EVALIDATION {
		t.Errorf("RemoveMember of ..: got %v, want validation_failed", err)
	}
	if _, err := c.FindCommunity(ctx, "guild"); err != nil {
		t.Errorf("after RemoveMember(guild, \"..\"), community guild: %v", err)
	}
}

// A refusal's fields are named by plain paths ("id"), as the service
// interfaces name them, not where the HTTP request held them ("body.id").
func TestEdgeFieldLocations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	_, _, err := c.CreateCommunity(ctx, roster.Community{ID: "bad id", Name: "x"})
	var e *roster.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		t.Fatalf("got %v", err)
	}
	for _, f := range e.Fields {
		if strings.HasPrefix(f.Location, "body.") {
			t.Errorf("field location %q: the HTTP location, not the plain path (%q) a service returns", f.Location, strings.TrimPrefix(f.Location, "body."))
		}
	}
}

// Many attempts do not overflow the doubling backoff (which once made
// rand.Int64N panic).
func TestEdgeRetryShiftOverflow(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"status":409,"detail":"try again","code":"write_conflict"}`))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, client.WithRetry(client.Retry{Attempts: 100, Base: time.Millisecond, Max: time.Millisecond}))
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("CreateCommunity with 100 attempts panicked: %v", p)
		}
	}()
	_, _, err := c.CreateCommunity(context.Background(), roster.Community{ID: "x", Name: "x"})
	if roster.ErrorCode(err) != roster.EWRITECONFLICT {
		t.Errorf("got %v", err)
	}
}

// Follow against a server whose log is empty: the snapshot's last line
// says revision 0, which is not read as a cut stream.
func TestEdgeFollowAtRevisionZero(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	rev, err := c.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a new server is at revision %d", rev)
	f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: time.Second, Log: quiet()})
	if err != nil {
		t.Errorf("Follow of a server at revision %d: %v", rev, err)
		return
	}
	f.Close()
}

// WaitFor asks for changes once, then waits on the change stream: waiting
// for a revision far ahead while changes come one by one sends no extra
// GET /v1/changes per change.
func TestEdgeWaitForRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var changes atomic.Int64
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/changes" && r.URL.Query().Get("wait") == "" {
				changes.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	c, _ := client.New(base, client.WithKey(admin))
	owner := "olive"
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: 30 * time.Second, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := f.Revision()
	changes.Store(0)
	const n = 50
	done := make(chan error, 1)
	go func() { done <- f.WaitFor(ctx, start+n) }()
	for i := range n {
		if _, _, err := c.AddMembers(ctx, "guild", []string{"u" + string(rune('a'+i%26)) + string(rune('a'+i/26))}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("WaitFor did not return: at %d, want %d", f.Revision(), start+n)
	}
	t.Logf("%d changes; %d catch-up GETs /v1/changes (no wait) meanwhile", n, changes.Load())
	if changes.Load() > n/5 {
		t.Errorf("%d catch-up requests for %d changes the long poll brought anyway", changes.Load(), n)
	}
}

// Close ends a catch-up under way at once, even against a server that
// stopped answering.
func TestEdgeCloseWaitsForCatchUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var hang atomic.Bool
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hang.Load() && r.URL.Path == "/v1/changes" {
				if r.URL.Query().Get("wait") != "" {
					http.Error(w, "no", http.StatusBadGateway) // the long poll fails
					return
				}
				<-r.Context().Done() // the catch-up gets no answer
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c, _ := client.New(base, client.WithKey(admin), client.WithRetry(client.Retry{Attempts: 1}))
	f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: time.Second, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	hang.Store(true)
	time.Sleep(2500 * time.Millisecond) // the long poll fails, pauses 1 s, catches up
	start := time.Now()
	f.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v", took.Round(time.Millisecond))
	}
}

// A LongPoll over the server's bound (1 min) is held to it, rather than
// have every long poll refused.
func TestEdgeLongPollOverBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var refused atomic.Int64
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRec{ResponseWriter: w}
			h.ServeHTTP(rec, r)
			if r.URL.Path == "/v1/changes" && rec.status == 422 {
				refused.Add(1)
			}
		})
	})
	c, _ := client.New(base, client.WithKey(admin))
	f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: 2 * time.Minute, Log: quiet()})
	if err != nil {
		t.Logf("Follow refused the option: %v (fine)", err)
		return
	}
	defer f.Close()
	time.Sleep(1500 * time.Millisecond)
	if refused.Load() > 0 {
		t.Errorf("Follow accepted LongPoll 2m; the server refused %d long polls with 422", refused.Load())
	}
}

type statusRec struct {
	http.ResponseWriter
	status int
}

func (s *statusRec) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusRec) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// As TestEdgeDotIDs, one level down: RemoveRole of a role from member ".."
// is never sent (it would reach /v1/communities/guild/roles/{role} and
// delete the role).
func TestEdgeDotIDRemoveRoleDeletesRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	owner := "olive"
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	vip, _, err := c.CreateRole(ctx, "guild", roster.Role{Name: "VIP"})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := c.RemoveRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "..", RoleID: vip.ID})
	t.Logf("RemoveRole(.., VIP): %+v, %v", res, err)
	if _, err := c.FindRole(ctx, "guild", vip.ID); err != nil {
		t.Errorf("after RemoveRole of VIP from member \"..\", role VIP: %v", err)
	}
}

// A DELETE the first replica took before failing to answer is not sent to
// the next: the call answers *Unreachable, and the role is deleted once.
func TestEdgeFailoverResendsTakenDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var real http.Handler
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler { real = h; return h })
	// "first" takes each request, serves it, then drops the connection
	// before answering, as a server dying mid-answer does.
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		real.ServeHTTP(rec, r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer first.Close()
	setup, _ := client.New(base, client.WithKey(admin))
	owner := "olive"
	if _, _, err := setup.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	r, _, err := setup.CreateRole(ctx, "guild", roster.Role{Name: "Temp"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := client.New(first.URL, client.WithKey(admin), client.WithReplicas(base))
	_, err = c.DeleteRole(ctx, "guild", r.ID, roster.RoleDelete{})
	_, ferr := setup.FindRole(ctx, "guild", r.ID)
	var un *client.Unreachable
	if roster.ErrorCode(ferr) != roster.EROLENOTFOUND || !errors.As(err, &un) {
		t.Errorf("DeleteRole through a server that took it and died: got %v (the role: %v), want *Unreachable, not sent again", err, ferr)
	}
}

// A POST the first replica took is not sent to the next.
func TestEdgeFailoverKeepsTakenPost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var real http.Handler
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler { real = h; return h })
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		real.ServeHTTP(httptest.NewRecorder(), r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer first.Close()
	setup, _ := client.New(base, client.WithKey(admin))
	owner := "olive"
	setup.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner})
	c, _ := client.New(first.URL, client.WithKey(admin), client.WithReplicas(base))
	_, _, err := c.CreateRole(ctx, "guild", roster.Role{Name: "Once"})
	var un *client.Unreachable
	if !errors.As(err, &un) {
		t.Errorf("a POST taken, then no answer: got %v, want *Unreachable", err)
	}
	roles, _, _ := setup.ListRoles(ctx, "guild", roster.Page{Limit: 250})
	n := 0
	for _, r := range roles {
		if r.Name == "Once" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d roles Once", n)
	}
}
