package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// Env is a real Roster server on a loopback port over a new database of
// one engine, with its bootstrap admin key.
type Env struct {
	URL    string
	Key    string
	Store  *sqlstore.DB
	Server *api.Server
	// DSN names the database: on SQLite, its file.
	DSN string
	// Clock is the clock of the store, the index and the server.
	Clock *Clock
	// Client sends the requests; nil is http.DefaultClient.
	Client *http.Client

	eng  sqltest.Engine
	stop func()
}

// Clock is the real clock, moved ahead by hand: a test advances it rather
// than wait for the server's timers (the API-key cache, key expiry).
type Clock struct {
	mu    sync.Mutex
	ahead time.Duration
}

// Now returns the real time plus how far the clock was advanced.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ahead += d
}

// MustEnv starts a server for the test over a new database; it stops when
// the test ends.
func MustEnv(tb testing.TB, eng sqltest.Engine) *Env {
	tb.Helper()
	return mustServe(tb, eng, eng.DSN(tb), "", 0)
}

// MustEnvWait is MustEnv with an index that waits at most wait for a
// check's minRevision (index.Options.Wait).
func MustEnvWait(tb testing.TB, eng sqltest.Engine, wait time.Duration) *Env {
	tb.Helper()
	return mustServe(tb, eng, eng.DSN(tb), "", wait)
}

// EnvSnapshot is the state of an Env's database, for servers over copies
// of it: tests share a world that is costly to build that way.
type EnvSnapshot struct {
	eng sqltest.Engine
	db  *sqltest.Snapshot
	key string
}

// Snapshot stops the server and takes the state of its database, which
// lasts until the test ends.
func (e *Env) Snapshot(tb testing.TB) *EnvSnapshot {
	tb.Helper()
	e.stop()
	return &EnvSnapshot{eng: e.eng, db: e.eng.Snapshot(tb, e.DSN), key: e.Key}
}

// MustEnvFrom starts a server for the test over a new copy of the snapshot,
// with the admin key of the server snapshotted; it stops when the test
// ends.
func MustEnvFrom(tb testing.TB, s *EnvSnapshot) *Env {
	tb.Helper()
	return mustServe(tb, s.eng, s.db.DSN(tb), s.key, 0)
}

// mustServe starts a server over the database, with its bootstrap admin
// key: key, or a new one when key is empty; wait is the index's.
func mustServe(tb testing.TB, eng sqltest.Engine, dsn, key string, wait time.Duration) *Env {
	tb.Helper()
	ctx := context.Background()
	clock := &Clock{}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	if key == "" {
		if key, err = db.EnsureBootstrapKey(ctx, ""); err != nil {
			tb.Fatal(err)
		}
	}
	ix, err := index.Open(ctx, db, index.Options{Now: clock.Now, Wait: wait})
	if err != nil {
		tb.Fatal(err)
	}
	feed, err := events.Open(ctx, db, events.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	hooks := events.StartDispatcher(db, feed, events.DispatchOptions{AllowPrivate: true, Lease: 3 * time.Second,
		Retries: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}})
	server, release := takeServer(index.NewService(db, ix), feed, hooks, clock)
	srv := httptest.NewServer(server)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close() // after the requests in flight
			release()
			hooks.Close()
			feed.Close()
			ix.Close()
			db.Close()
		})
	}
	tb.Cleanup(stop)
	return &Env{URL: srv.URL, Key: key, Store: db, Server: server.Server, DSN: dsn, Clock: clock, eng: eng, stop: stop}
}

// mustEnvOwn starts a server of its own, not one given back by another
// test, over a new database of the engine, with the options opts makes.
func mustEnvOwn(tb testing.TB, eng sqltest.Engine, opts func(db *sqlstore.DB) api.Options) *Env {
	tb.Helper()
	ctx := context.Background()
	dsn := eng.DSN(tb)
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	key, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(api.New(index.NewService(db, ix), opts(db)))
	tb.Cleanup(func() {
		srv.Close()
		ix.Close()
		db.Close()
	})
	return &Env{URL: srv.URL, Key: key, Store: db, DSN: dsn}
}

// servers are the api.Servers tests have given back. Making one costs some
// 20 ms (huma compiles the schemas' patterns), 160 ms under -race, and a
// server holds nothing of a test but its service, clock and API-key cache;
// so a test takes a server given back, points it at its own service and
// clock, and empties its cache.
var servers struct {
	mu   sync.Mutex
	free []*pooledServer
}

// pooledServer is a server whose service and clock are those of the test
// holding it.
type pooledServer struct {
	*api.Server
	svc   switchService
	feed  switchFeed
	hooks switchHooks
	clock *Clock
}

// switchService is the service of the test holding a server, and
// switchFeed its feed.
type switchService struct{ roster.Service }
type switchFeed struct{ roster.ChangeFeed }
type switchHooks struct{ roster.WebhookSender }

// takeServer returns a server over the service and clock, and the function
// that gives it back, which is called once no request is in flight.
func takeServer(svc roster.Service, feed roster.ChangeFeed, hooks roster.WebhookSender, clock *Clock) (*pooledServer, func()) {
	servers.mu.Lock()
	var p *pooledServer
	if n := len(servers.free); n > 0 {
		p, servers.free = servers.free[n-1], servers.free[:n-1]
	}
	servers.mu.Unlock()
	if p == nil {
		p = &pooledServer{}
		p.Server = api.New(&p.svc, api.Options{
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now:      func() time.Time { return p.clock.Now() },
			Feed:     &p.feed,
			Webhooks: &p.hooks,
		})
	}
	p.svc.Service, p.feed.ChangeFeed, p.hooks.WebhookSender, p.clock = svc, feed, hooks, clock
	p.ForgetKeys()
	api.OnLeanCheck(p.Server, nil)
	return p, func() {
		p.svc.Service, p.feed.ChangeFeed, p.hooks.WebhookSender, p.clock = nil, nil, nil, nil
		servers.mu.Lock()
		servers.free = append(servers.free, p)
		servers.mu.Unlock()
	}
}

// Res is an answer: its status, headers, raw body and the body decoded.
type Res struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// Code is the problem code of an error answer.
func (r Res) Code() string { s, _ := r.JSON["code"].(string); return s }

// Str returns a string member of the body.
func (r Res) Str(key string) string { s, _ := r.JSON[key].(string); return s }

// Items returns the items of a list answer.
func (r Res) Items() []map[string]any {
	raw, _ := r.JSON["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

// Req describes a request beyond its method, path and body.
type Req struct {
	Key     string
	ActAs   string
	Header  map[string]string
	RawBody string
}

// Do sends a request with the admin key (or req.Key) and a JSON body (nil
// for none), and decodes the answer.
func (e *Env) Do(tb testing.TB, method, path string, body any, req ...Req) Res {
	tb.Helper()
	var r Req
	if len(req) > 0 {
		r = req[0]
	}
	var rd io.Reader
	switch {
	case r.RawBody != "":
		rd = strings.NewReader(r.RawBody)
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	key := e.Key
	if r.Key != "" {
		key = r.Key
	}
	if key != "-" {
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.ActAs != "" {
		hr.Header.Set("Roster-Act-As", r.ActAs)
	}
	for k, v := range r.Header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	res := Res{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		json.Unmarshal(raw, &res.JSON)
	}
	return res
}

// Must sends a request and fails the test unless the status is want.
func (e *Env) Must(tb testing.TB, want int, method, path string, body any, req ...Req) Res {
	tb.Helper()
	res := e.Do(tb, method, path, body, req...)
	if res.Status != want {
		tb.Fatalf("%s %s: got status %d, want %d: %s", method, path, res.Status, want, res.Raw)
	}
	return res
}

// Revision returns the newest revision of the change log.
func (e *Env) Revision(tb testing.TB) roster.Revision {
	tb.Helper()
	rev, err := e.Store.CurrentRevision(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return rev
}

// MustKey creates an API key and returns its secret.
func (e *Env) MustKey(tb testing.TB, body map[string]any) string {
	tb.Helper()
	return e.Must(tb, http.StatusCreated, "POST", "/v1/api-keys", body).Str("secret")
}

// MustCommunity creates a community with members and returns nothing; the
// owner (if not empty) is its first member.
func (e *Env) MustCommunity(tb testing.TB, id, owner string, members ...string) {
	tb.Helper()
	body := map[string]any{"id": id, "name": "Community " + id}
	if owner != "" {
		body["ownerId"] = owner
	}
	e.Must(tb, http.StatusCreated, "POST", "/v1/communities", body)
	for _, m := range members {
		e.Must(tb, http.StatusCreated, "PUT", "/v1/communities/"+id+"/members/"+m, nil)
	}
}

// MustRole creates a role and returns its id.
func (e *Env) MustRole(tb testing.TB, community, name string, perms ...string) string {
	tb.Helper()
	if perms == nil {
		perms = []string{}
	}
	return e.Must(tb, http.StatusCreated, "POST", "/v1/communities/"+community+"/roles", map[string]any{"name": name, "permissions": perms}).Str("id")
}

// MustGrant gives a member a community role.
func (e *Env) MustGrant(tb testing.TB, community, user, role string) {
	tb.Helper()
	e.Must(tb, http.StatusOK, "PUT", "/v1/communities/"+community+"/members/"+user+"/roles/"+role, nil)
}
