package api_test

// The rate limits and snapshots at their edges: bodies the lean path
// declines, the headers' arithmetic, scopes, stalled readers, NaN.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// A body the lean check path declines is counted once, by the documented
// operation that answers it.
func TestEdgeLeanPathCountsTwice(t *testing.T) {
	t.Parallel()
	clock := &Clock{}
	e := mustEnvOwn(t, sqltest.SQLite, func(*sqlstore.DB) api.Options {
		return api.Options{Now: clock.Now, Limits: api.Limits{roster.ScopeCheck: 4}}
	})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "guild", "name": "Guild", "ownerId": "olive"})
	// A check the lean path declines (a malformed user id): the
	// operation answers it, 422.
	bad := map[string]any{"communityId": "guild", "userId": "not an id", "permission": "BAN_MEMBERS"}
	res := e.Do(t, "POST", "/v1/check", bad)
	t.Logf("declined check: %d, RateLimit %q", res.Status, res.Header.Get("RateLimit"))
	if got := res.Header.Get("RateLimit"); got != `"check";r=3;t=0` {
		t.Errorf("after one request of a bucket of 4: RateLimit %q, want r=3", got)
	}
	res = e.Do(t, "POST", "/v1/check", bad)
	if got := res.Header.Get("RateLimit"); got != `"check";r=2;t=0` {
		t.Errorf("after two requests of a bucket of 4: RateLimit %q, want r=2", got)
	}
	res = e.Do(t, "POST", "/v1/check", bad)
	if res.Status == http.StatusTooManyRequests {
		t.Errorf("the third request of a bucket of 4 answered 429")
	}
}

// RateLimit's t says when the next token comes while r is 0, and a rate
// under one a second is announced as one per window of seconds.
func TestEdgeRateLimitHeaders(t *testing.T) {
	t.Parallel()
	clock := &Clock{}
	e := mustEnvOwn(t, sqltest.SQLite, func(*sqlstore.DB) api.Options {
		return api.Options{Now: clock.Now, Limits: api.Limits{roster.ScopeRead: 1, roster.ScopeWrite: 0.2}}
	})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "guild", "name": "Guild", "ownerId": "olive"})
	if p := e.Do(t, "PUT", "/v1/communities/guild/members/x", nil).Header; true {
		// Policy of 0.2 a second: one request in 5 s.
		if got := p.Get("RateLimit-Policy"); !strings.Contains(got, "w=5") {
			t.Errorf("a write bucket of 0.2/s (it was refused: %v): RateLimit-Policy %q, which says 1 request a second", p.Get("Retry-After"), got)
		}
	}
	clock.Advance(10 * time.Second)
	res := e.Do(t, "GET", "/v1/communities/guild", nil)
	next := e.Do(t, "GET", "/v1/communities/guild", nil)
	if next.Status == http.StatusTooManyRequests && strings.HasSuffix(res.Header.Get("RateLimit"), ";t=0") {
		t.Errorf("RateLimit %q said no wait, and the next request was refused (Retry-After %s)", res.Header.Get("RateLimit"), next.Header.Get("Retry-After"))
	}
}

// A restricted key's snapshot holds its community alone,
// without the platform's roles and grants; a user actor is refused.
func TestEdgeSnapshotScope(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "mine", "olive", "bob")
	e.MustCommunity(t, "theirs", "tess", "tom")
	e.Must(t, http.StatusCreated, "POST", "/v1/platform/roles", map[string]any{"name": "Staff", "permissions": []string{"BAN_MEMBERS"}})
	key := e.MustKey(t, map[string]any{"name": "f", "scopes": []string{"read"}, "communityId": "mine"})
	res := e.Do(t, "GET", "/v1/snapshot", nil, Req{Key: key})
	if res.Status != http.StatusOK {
		t.Fatalf("snapshot: %d %s", res.Status, res.Raw)
	}
	body := string(res.Raw)
	for _, no := range []string{"theirs", "tess", "tom", "Staff"} {
		if strings.Contains(body, no) {
			t.Errorf("a key restricted to mine reads %q in the snapshot", no)
		}
	}
	if !strings.Contains(body, `"bob"`) || !strings.Contains(body, `{"revision":`) {
		t.Errorf("snapshot of mine:\n%s", body)
	}
	acting := e.MustKey(t, map[string]any{"name": "a", "scopes": []string{"read"}, "actAs": true})
	if res := e.Do(t, "GET", "/v1/snapshot", nil, Req{Key: acting, ActAs: "olive"}); res.Status != http.StatusForbidden {
		t.Errorf("a snapshot read as a user: %d %s", res.Status, res.Raw)
	}
}

// Snapshot readers that do not read hold a read transaction each: at most
// a few at once, so that the other reads of the database go on.
func TestEdgeSnapshotSlowReadersHoldPool(t *testing.T) {
	t.Parallel()
	eng := sqltest.SQLite
	if os.Getenv("ROSTER_TEST_SNAPSHOT_PG") == "1" {
		eng = sqltest.Postgres // then ROSTER_TEST_SNAPSHOT_READERS=16, and the write below
	}
	e := MustEnv(t, eng)
	e.MustCommunity(t, "big", "olive")
	users := make([]string, roster.MaxMemberBatch)
	for b := range 120 {
		for i := range users {
			users[i] = "user-with-a-longish-id-" + strconv.Itoa(b*len(users)+i)
		}
		e.Must(t, http.StatusOK, "POST", "/v1/communities/big/members/batch-add", map[string]any{"userIds": users})
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	host := strings.TrimPrefix(e.URL, "http://")
	for range snapshotReaders {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(c, "GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", e.Key)
		conns = append(conns, c)
	}
	time.Sleep(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/communities/big", nil)
	if eng == sqltest.Postgres {
		req, _ = http.NewRequestWithContext(ctx, "PUT", e.URL+"/v1/communities/big/members/newcomer", nil)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if err != nil {
		t.Errorf("a %s while %d snapshots are not read: %v after %v", req.Method, snapshotReaders, err, time.Since(start).Round(time.Millisecond))
	}
}

// snapshotReaders is how many stalled snapshot readers the test opens
// (ROSTER_TEST_SNAPSHOT_READERS, 8 by default: SQLite's read pool).
var snapshotReaders = func() int {
	if n, err := strconv.Atoi(os.Getenv("ROSTER_TEST_SNAPSHOT_READERS")); err == nil {
		return n
	}
	return 8
}()
