package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// feedRevs returns the revisions of a change feed answer's items, failing
// the test when they do not increase.
func feedRevs(t *testing.T, res Res) []int64 {
	t.Helper()
	var revs []int64
	for _, it := range res.Items() {
		rev := int64(it["revision"].(float64))
		if len(revs) > 0 && rev <= revs[len(revs)-1] {
			t.Fatalf("changes: revision %d after %d, want oldest first", rev, revs[len(revs)-1])
		}
		revs = append(revs, rev)
	}
	return revs
}

func nextAfter(res Res) int64 { n, _ := res.JSON["nextAfter"].(float64); return int64(n) }

func TestChangeFeed(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice", "bob")
		e.MustCommunity(t, "other", "carol")
		mods := e.MustRole(t, "guild", "Mods", "MANAGE_POSTS")
		e.MustGrant(t, "guild", "bob", mods)
		head := int64(e.Revision(t))

		// The feed from the start is the audit log, page by page.
		audit := e.Must(t, http.StatusOK, "GET", "/v1/audit?limit=1000", nil)
		var want []int64
		for _, it := range audit.Items() {
			want = append(want, int64(it["revision"].(float64)))
		}
		var got []int64
		after := int64(0)
		for range 100 {
			res := e.Must(t, http.StatusOK, "GET", fmt.Sprintf("/v1/changes?after=%d&limit=7", after), nil)
			revs := feedRevs(t, res)
			got = append(got, revs...)
			if len(revs) == 0 {
				if nextAfter(res) != after {
					t.Errorf("an empty page: got nextAfter %d, want %d, the same after", nextAfter(res), after)
				}
				break
			}
			after = nextAfter(res)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes from 0: got revisions %v, want the audit log's %v", got, want)
		}
		if after != head {
			t.Errorf("changes: the last page's nextAfter is %d, want the head %d", after, head)
		}

		// Filters: a community, an action prefix, a target.
		for _, tc := range []struct {
			query string
			match func(it map[string]any) bool
		}{
			{"communityId=guild", func(it map[string]any) bool { return it["communityId"] == "guild" }},
			{"action=member.", func(it map[string]any) bool { return strings.HasPrefix(it["action"].(string), "member.") }},
			{"action=member.role_added", func(it map[string]any) bool { return it["action"] == "member.role_added" }},
			{"target=bob", func(it map[string]any) bool { return it["targetId"] == "bob" }},
		} {
			res := e.Must(t, http.StatusOK, "GET", "/v1/changes?after=0&limit=1000&"+tc.query, nil)
			var wantN int
			for _, it := range audit.Items() {
				if tc.match(it) {
					wantN++
				}
			}
			items := res.Items()
			for _, it := range items {
				if !tc.match(it) {
					t.Errorf("changes?%s: got %v, which does not match", tc.query, it)
				}
			}
			if len(items) != wantN || wantN == 0 {
				t.Errorf("changes?%s: got %d events, want %d (and some)", tc.query, len(items), wantN)
			}
			if nextAfter(res) != head {
				t.Errorf("changes?%s: got nextAfter %d, want %d, the newest revision read", tc.query, nextAfter(res), head)
			}
		}

		// A long poll answers as soon as an event comes.
		type answer struct {
			res  Res
			took time.Duration
		}
		done := make(chan answer, 1)
		go func() {
			start := time.Now()
			res := e.Do(t, "GET", fmt.Sprintf("/v1/changes?after=%d&wait=30s&communityId=guild", head), nil)
			done <- answer{res, time.Since(start)}
		}()
		time.Sleep(100 * time.Millisecond)
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/other/members/dave", nil) // not matched
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/members/erin", nil)
		a := <-done
		if a.res.Status != http.StatusOK || len(a.res.Items()) != 1 || a.res.Items()[0]["targetId"] != "erin" {
			t.Fatalf("a long poll: got %d %s, want the one event of guild", a.res.Status, a.res.Raw)
		}
		if a.took > 20*time.Second {
			t.Errorf("a long poll took %s, want it answered when the event came", a.took)
		}
		// With nothing to come, it answers empty when the wait ends.
		now := int64(e.Revision(t))
		res := e.Must(t, http.StatusOK, "GET", fmt.Sprintf("/v1/changes?after=%d&wait=200ms", now), nil)
		if len(res.Items()) != 0 || nextAfter(res) != now {
			t.Errorf("a long poll with nothing to come: got %s, want no item and nextAfter %d", res.Raw, now)
		}
	})
}

func TestChangeFeedAccess(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "guild", "alice", "bob")
	e.MustCommunity(t, "other", "carol")
	restricted := e.MustKey(t, map[string]any{"name": "guild only", "scopes": []string{"read"}, "communityId": "guild"})
	checker := e.MustKey(t, map[string]any{"name": "checks", "scopes": []string{"check"}})
	actAs := e.MustKey(t, map[string]any{"name": "as users", "scopes": []string{"read"}, "actAs": true})

	for _, path := range []string{"/v1/changes", "/v1/watch"} {
		// A restricted key reads its community only, whatever it asks.
		if path == "/v1/changes" {
			res := e.Must(t, http.StatusOK, "GET", path+"?limit=1000", nil, Req{Key: restricted})
			for _, it := range res.Items() {
				if it["communityId"] != "guild" {
					t.Errorf("a key restricted to guild read %v", it)
				}
			}
			if len(res.Items()) == 0 {
				t.Error("a key restricted to guild read nothing of it")
			}
		}
		if res := e.Do(t, "GET", path+"?communityId=other", nil, Req{Key: restricted}); res.Status != http.StatusNotFound || res.Code() != "community_not_found" {
			t.Errorf("%s of another community with a restricted key: got %d %s, want 404 community_not_found", path, res.Status, res.Raw)
		}
		if res := e.Do(t, "GET", path, nil, Req{Key: checker}); res.Status != http.StatusForbidden || res.Code() != "insufficient_scope" {
			t.Errorf("%s with a check key: got %d %s, want 403 insufficient_scope", path, res.Status, res.Raw)
		}
		if res := e.Do(t, "GET", path+"?communityId=guild", nil, Req{Key: actAs, ActAs: "bob"}); res.Status != http.StatusForbidden || res.Code() != "missing_permission" {
			t.Errorf("%s as a member without VIEW_AUDIT_LOG: got %d %s, want 403 missing_permission", path, res.Status, res.Raw)
		}
		if res := e.Do(t, "GET", path, nil, Req{Key: "-"}); res.Status != http.StatusUnauthorized {
			t.Errorf("%s without a key: got %d, want 401", path, res.Status)
		}
	}
	// The owner reads their community's changes.
	e.Must(t, http.StatusOK, "GET", "/v1/changes?communityId=guild", nil, Req{Key: actAs, ActAs: "alice"})

	for _, q := range []string{"after=-1", "limit=0", "limit=1001", "wait=2m", "wait=soon", "wait=-1s", "communityId=a/b", "platform=true&communityId=guild"} {
		res := e.Do(t, "GET", "/v1/changes?"+q, nil)
		if res.Status != http.StatusUnprocessableEntity || res.Code() != "validation_failed" {
			t.Errorf("changes?%s: got %d %s, want 422 validation_failed", q, res.Status, res.Raw)
		}
	}
	if res := e.Do(t, "GET", "/v1/watch?after=x", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("watch?after=x: got %d %s, want 422", res.Status, res.Raw)
	}
	for _, id := range []string{"soon", "-3", "99999999999999999999"} {
		if res := e.Do(t, "GET", "/v1/watch", nil, Req{Header: map[string]string{"Last-Event-ID": id}}); res.Status != http.StatusUnprocessableEntity || res.Code() != "validation_failed" {
			t.Errorf("watch with Last-Event-ID %q: got %d %s, want 422 validation_failed", id, res.Status, res.Raw)
		}
	}
	if res := e.Do(t, "GET", "/v1/watch?action="+strings.Repeat("a", 65), nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("watch with an action too long: got %d %s, want 422", res.Status, res.Raw)
	}
}

// sseMessage is one message of an event stream.
type sseMessage struct {
	id, event string
	data      map[string]any
}

// watcher reads a watch stream.
type watcher struct {
	resp *http.Response
	in   *bufio.Scanner
}

// mustWatch opens the watch stream with the query and the Last-Event-ID
// (when not empty). The stream ends with ctx, or after a minute, so that a
// test waiting for a message that does not come fails.
func (e *Env) mustWatch(tb testing.TB, ctx context.Context, query, lastID string) *watcher {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	tb.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/watch?"+query, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		tb.Fatalf("watch: got %d %s, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return &watcher{resp: resp, in: bufio.NewScanner(resp.Body)}
}

// next reads the next message.
func (w *watcher) next(tb testing.TB) sseMessage {
	tb.Helper()
	var m sseMessage
	for w.in.Scan() {
		line := w.in.Text()
		if line == "" {
			return m
		}
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "id":
			m.id = v
		case "event":
			m.event = v
		case "data":
			if err := json.Unmarshal([]byte(v), &m.data); err != nil {
				tb.Fatalf("watch: data %q is not JSON: %v", v, err)
			}
		}
	}
	tb.Fatalf("watch: the stream ended: %v", w.in.Err())
	return m
}

// nextChange reads messages up to the next change.
func (w *watcher) nextChange(tb testing.TB) sseMessage {
	tb.Helper()
	for {
		if m := w.next(tb); m.event == "change" {
			return m
		}
	}
}

func TestWatchStream(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice")
		start := int64(e.Revision(t))
		ctx, cancel := context.WithCancel(context.Background())
		w := e.mustWatch(t, ctx, fmt.Sprintf("after=%d&communityId=guild", start), "")
		if m := w.next(t); m.event != "checkpoint" || m.id != strconv.FormatInt(start, 10) || int64(m.data["revision"].(float64)) != start {
			t.Fatalf("watch: the first message is %+v, want a checkpoint at %d", m, start)
		}
		for i := range 5 {
			e.Must(t, http.StatusCreated, "PUT", fmt.Sprintf("/v1/communities/guild/members/u%d", i), nil)
		}
		var seen []string
		for range 3 {
			m := w.nextChange(t)
			if m.id != strconv.FormatInt(int64(m.data["revision"].(float64)), 10) {
				t.Fatalf("watch: id %s of an event at revision %v", m.id, m.data["revision"])
			}
			seen = append(seen, m.data["targetId"].(string))
			start, _ = strconv.ParseInt(m.id, 10, 64)
		}
		cancel() // the client leaves after three events

		// Reconnecting with Last-Event-ID goes on with the fourth.
		w = e.mustWatch(t, context.Background(), "after=0&communityId=guild", strconv.FormatInt(start, 10))
		for range 2 {
			seen = append(seen, w.nextChange(t).data["targetId"].(string))
		}
		if fmt.Sprint(seen) != "[u0 u1 u2 u3 u4]" {
			t.Errorf("watch, reconnected: got targets %v, want each of u0..u4 once, in order", seen)
		}
	})
}

// TestWatchCheckpoints waits for the checkpoint of an idle stream, which
// comes every roster.CheckpointEvery; a stream whose key is revoked ends
// there.
func TestWatchCheckpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 15 s for a checkpoint")
	}
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "guild", "alice")
	w := e.mustWatch(t, context.Background(), "communityId=nowhere", "")
	if m := w.next(t); m.event != "checkpoint" || m.id != "0" {
		t.Fatalf("the first message: got %+v, want a checkpoint at 0", m)
	}
	res := e.Must(t, http.StatusCreated, "POST", "/v1/api-keys", map[string]any{"name": "revoked soon", "scopes": []string{"read"}})
	other := *e
	other.Key = res.Str("secret")
	revoked := other.mustWatch(t, context.Background(), "communityId=nowhere", "")
	revoked.next(t)
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/api-keys/"+res.Str("id"), nil)
	e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/members/bob", nil)
	head := strconv.FormatInt(int64(e.Revision(t)), 10)
	begun := time.Now()
	m := w.next(t)
	if m.event != "checkpoint" || m.id != head {
		t.Fatalf("an idle stream: got %+v, want a checkpoint at %s", m, head)
	}
	if took := time.Since(begun); took > 20*time.Second {
		t.Errorf("the checkpoint came after %s, want within 15 s", took)
	}
	for revoked.in.Scan() {
		if line := revoked.in.Text(); strings.HasPrefix(line, "event:") {
			t.Errorf("the stream of a revoked key: got %q, want it ended", line)
		}
	}
	if took := time.Since(begun); took > 25*time.Second {
		t.Errorf("the stream of a revoked key ended after %s, want at its checkpoint", took)
	}
}
