package main

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// webhookFlags are the flags of the servers the webhook tests start: the
// receiver is on loopback, retries are quick, and a dead replica's lease
// runs out in 2 s.
var webhookFlags = []string{"--webhook-allow-private", "--webhook-retries", "20ms,50ms,100ms,200ms,400ms,800ms,1s", "--webhook-lease", "2s"}

// mustEndpoint creates a webhook endpoint disabled, gives the receiver its
// secret, enables it, and returns the revision it delivers after.
func mustEndpoint(t *testing.T, base string, recv *receiverProcess, path string, body map[string]any) int64 {
	t.Helper()
	body["url"], body["enabled"] = recv.URL+path, false
	rep := mustWrite(t, "POST", base+"/v1/webhooks", body)
	var w struct {
		ID               string `json:"id"`
		Secret           string `json:"secret"`
		DeliveredThrough int64  `json:"deliveredThrough"`
	}
	if err := json.Unmarshal(rep.body, &w); err != nil || w.Secret == "" {
		t.Fatalf("POST /v1/webhooks: got %s, want an endpoint with its secret", rep.body)
	}
	recv.trust(t, path, w.Secret)
	mustWrite(t, "PATCH", base+"/v1/webhooks/"+w.ID, map[string]any{"enabled": true})
	return w.DeliveredThrough
}

// mix makes n writes chosen at random in communities c1 and c2 through
// base(), calling before(i) ahead of the i-th (which may restart servers).
// Refusals (a role not held, a member missing) are part of the mix.
func mix(t *testing.T, seed uint64, n int, base func() string, before func(i int)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	roles := map[string][]string{}
	for i := range n {
		before(i)
		c := fmt.Sprintf("c%d", 1+rng.IntN(2))
		u := fmt.Sprintf("u%d", rng.IntN(25))
		path := base() + "/v1/communities/" + c
		var method, url string
		var body any
		switch op := rng.IntN(8); {
		case op < 3 || len(roles[c]) == 0 && op >= 5:
			method, url = "PUT", path+"/members/"+u
		case op == 3:
			method, url = "DELETE", path+"/members/"+u
		case op == 4:
			method, url, body = "POST", path+"/roles", map[string]any{"name": fmt.Sprintf("r%d", i), "permissions": []string{"BAN_MEMBERS"}}
		case op < 7:
			method, url = "PUT", path+"/members/"+u+"/roles/"+roles[c][rng.IntN(len(roles[c]))]
		default:
			method, url = "DELETE", path+"/members/"+u+"/roles/"+roles[c][rng.IntN(len(roles[c]))]
		}
		rep, err := send(t.Context(), method, url, body)
		if err != nil || rep.status >= 500 {
			t.Fatalf("write %d, %s %s: got %v %d %s", i, method, url, err, rep.status, rep.body)
		}
		if method == "POST" && rep.status == http.StatusCreated {
			var r struct{ ID string }
			json.Unmarshal(rep.body, &r)
			roles[c] = append(roles[c], r.ID)
		}
	}
}

// changes returns the revisions of the events after from that match the
// change feed query, read from base.
func changes(t *testing.T, base string, from int64, query string) []int64 {
	t.Helper()
	var revs []int64
	for {
		rep, err := send(t.Context(), "GET", fmt.Sprintf("%s/v1/changes?after=%d&limit=1000&%s", base, from, query), nil)
		if err != nil || rep.status != http.StatusOK {
			t.Fatalf("changes: %v %d %s", err, rep.status, rep.body)
		}
		var page struct {
			Items []struct {
				Revision int64 `json:"revision"`
			} `json:"items"`
			NextAfter int64 `json:"nextAfter"`
		}
		json.Unmarshal(rep.body, &page)
		for _, e := range page.Items {
			revs = append(revs, e.Revision)
		}
		if len(page.Items) == 0 {
			return revs
		}
		from = page.NextAfter
	}
}

// waitDelivered waits until the receiver has, each once, every revision
// of want at path, and checks that the first of each came in order.
func waitDelivered(t *testing.T, recv *receiverProcess, path string, want []int64) []receivedMessage {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		msgs := recv.messages(t, path)
		got := firstOfEach(msgs)
		if len(got) >= len(want) {
			if !slices.Equal(got, want) {
				t.Fatalf("%s: got revisions %v, want %v, in order", path, got, want)
			}
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d of %d events within 90 s", path, len(got), len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// watcher follows /v1/watch, reconnecting with Last-Event-ID to base()
// whenever the stream ends, and keeps the revisions of the changes.
type watcher struct {
	mu   sync.Mutex
	revs []int64
	last int64
}

func watch(ctx context.Context, after int64, base func() string) *watcher {
	w := &watcher{last: after}
	go func() {
		for ctx.Err() == nil {
			w.follow(ctx, base())
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return w
}

func (w *watcher) follow(ctx context.Context, base string) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/watch", nil)
	if err != nil {
		return
	}
	w.mu.Lock()
	req.Header.Set("Last-Event-ID", strconv.FormatInt(w.last, 10))
	w.mu.Unlock()
	req.Header.Set("Authorization", "Bearer "+replicaAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	in := bufio.NewScanner(resp.Body)
	var id int64
	var event string
	for in.Scan() {
		k, v, _ := strings.Cut(in.Text(), ": ")
		switch k {
		case "id":
			id, _ = strconv.ParseInt(v, 10, 64)
		case "event":
			event = v
		case "":
			w.mu.Lock()
			if event == "change" {
				w.revs = append(w.revs, id)
			}
			w.last = id
			w.mu.Unlock()
		}
	}
}

// waitFor waits until the watcher has come to rev, and returns what it
// received.
func (w *watcher) waitFor(t *testing.T, rev int64) []int64 {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		w.mu.Lock()
		last, revs := w.last, slices.Clone(w.revs)
		w.mu.Unlock()
		if last >= rev {
			return revs
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch: at revision %d after 60 s, want %d", last, rev)
		}
	}
}

// writeSecretsKey writes a secrets key that replicas share.
func writeSecretsKey(t *testing.T, path string) {
	t.Helper()
	key := make([]byte, 32)
	crand.Read(key)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestWebhooksSurviveKill makes 1,000 random writes with two endpoints on
// a receiver process that fails its first three requests, kills the server
// with SIGKILL halfway and starts it again: each endpoint gets every event
// it takes, verified, the first of each in order; the watch stream,
// reconnected with Last-Event-ID, misses none and repeats none.
func TestWebhooksSurviveKill(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		dsn, dir := eng.DSN(t), t.TempDir()
		var server atomic.Pointer[replica] // the watcher reads it
		server.Store(startReplica(t, "first", dsn, dir, webhookFlags...))
		base := func() string { return server.Load().URL }
		recv := startReceiver(t, 3)
		for _, c := range []string{"c1", "c2"} {
			mustWrite(t, "POST", base()+"/v1/communities", map[string]any{"id": c, "name": c})
		}
		fromAll := mustEndpoint(t, base(), recv, "/all", map[string]any{})
		fromC1 := mustEndpoint(t, base(), recv, "/c1-members", map[string]any{"communityId": "c1", "events": []string{"member."}})
		w := watch(t.Context(), fromAll, base)

		mix(t, 11, 1000, base, func(i int) {
			if i != 500 {
				return
			}
			// Kill it in the middle of deliveries: once some have come.
			for deadline := time.Now().Add(30 * time.Second); len(recv.messages(t, "/all")) < 20 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("%s: killing the server with %d messages received", eng.Name, len(recv.messages(t, "/all")))
			server.Load().kill(t)
			server.Store(startReplica(t, "restarted", dsn, dir, webhookFlags...))
		})
		all := changes(t, base(), fromAll, "")
		msgs := waitDelivered(t, recv, "/all", all)
		waitDelivered(t, recv, "/c1-members", changes(t, base(), fromC1, "communityId=c1&action=member."))
		t.Logf("%s: %d events, %d messages to /all (%d sent again after the kill)", eng.Name, len(all), len(msgs), len(msgs)-len(all))
		if got := w.waitFor(t, all[len(all)-1]); !slices.Equal(got, all) {
			t.Errorf("watch: got %d changes, want the %d of the log, each once, in order", len(got), len(all))
		}
	})
}

// TestWebhooksTwoReplicas runs two replicas on one PostgreSQL database:
// while both are healthy each event reaches the endpoint once; once the
// replica delivering it is killed, the other takes it over and delivers
// the rest, and a watch stream moves to it with nothing missed.
func TestWebhooksTwoReplicas(t *testing.T) {
	t.Parallel()
	sqltest.Postgres.Require(t)
	dsn, keyFile := sqltest.Postgres.DSN(t), filepath.Join(t.TempDir(), "secrets.key")
	flags := append([]string{"--secrets-key-file", keyFile}, webhookFlags...)
	writeSecretsKey(t, keyFile)
	a := startReplica(t, "a", dsn, t.TempDir(), flags...)
	recv := startReceiver(t, 0)
	mustWrite(t, "POST", a.URL+"/v1/communities", map[string]any{"id": "c1", "name": "c1"})
	mustWrite(t, "POST", a.URL+"/v1/communities", map[string]any{"id": "c2", "name": "c2"})
	from := mustEndpoint(t, a.URL, recv, "/all", map[string]any{})
	waitDelivered(t, recv, "/all", changes(t, a.URL, from, "")) // a holds the lease
	b := startReplica(t, "b", dsn, t.TempDir(), flags...)

	turn := 0
	both := func() string { turn++; return []string{a.URL, b.URL}[turn%2] }
	mix(t, 12, 300, both, func(int) {})
	all := changes(t, b.URL, from, "")
	msgs := waitDelivered(t, recv, "/all", all)
	if len(msgs) != len(all) {
		t.Errorf("two healthy replicas: got %d messages for %d events, want each once", len(msgs), len(all))
	}

	w := watch(t.Context(), all[len(all)-1], func() string {
		select {
		case <-a.done:
			return b.URL
		default:
			return a.URL
		}
	})
	time.Sleep(200 * time.Millisecond) // connected to a
	a.kill(t)
	killedAt := all[len(all)-1]
	mix(t, 13, 200, func() string { return b.URL }, func(int) {})
	all = changes(t, b.URL, from, "")
	waitDelivered(t, recv, "/all", all)
	after := slices.DeleteFunc(slices.Clone(all), func(r int64) bool { return r <= killedAt })
	if got := w.waitFor(t, all[len(all)-1]); !slices.Equal(got, after) {
		t.Errorf("watch across the kill: got %v, want %v", got, after)
	}
}

// TestExpiryIsAnEvent gives a grant that expires in a second: the server
// removes it once it has, and a follower of the change feed receives one
// member.role_expired event.
func TestExpiryIsAnEvent(t *testing.T) {
	t.Parallel()
	server := startReplica(t, "expiry", sqltest.SQLite.DSN(t), t.TempDir())
	c := server.URL + "/v1/communities/c1"
	mustWrite(t, "POST", server.URL+"/v1/communities", map[string]any{"id": "c1", "name": "c1"})
	mustWrite(t, "PUT", c+"/members/u1", nil)
	rep := mustWrite(t, "POST", c+"/roles", map[string]any{"name": "Temp", "permissions": []string{}})
	var role struct{ ID string }
	json.Unmarshal(rep.body, &role)
	rep = mustWrite(t, "POST", c+"/roles/batch-add", map[string]any{"userIds": []string{"u1"}, "roleIds": []string{role.ID},
		"expiresAt": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)})
	rep, err := send(t.Context(), "GET", fmt.Sprintf("%s/v1/changes?after=%d&action=member.role_expired&wait=30s", server.URL, rep.revision), nil)
	var page struct {
		Items []struct {
			TargetID string `json:"targetId"`
			Actor    struct {
				KeyID string `json:"keyId"`
			} `json:"actor"`
			Before struct {
				RoleID string `json:"roleId"`
			} `json:"before"`
		} `json:"items"`
	}
	if err != nil || json.Unmarshal(rep.body, &page) != nil || len(page.Items) != 1 {
		t.Fatalf("waiting for the expiry: got %v %s, want one member.role_expired", err, rep.body)
	}
	if e := page.Items[0]; e.TargetID != "u1" || e.Before.RoleID != role.ID || e.Actor.KeyID != "system" {
		t.Errorf("the expiry: got %+v, want u1's grant of Temp, by the system", e)
	}
	rep, _ = send(t.Context(), "GET", c+"/members/u1/roles", nil)
	if strings.Contains(string(rep.body), role.ID) {
		t.Errorf("u1's roles after the expiry: got %s, want Temp gone", rep.body)
	}
}
