package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// receiver is a webhook endpoint that verifies each message with the
// Standard Webhooks library, and answers the statuses it is told to first.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	verify   []*standardwebhooks.Webhook
	answers  []int // answered, one each, before 204s
	got      []received
	rejected []string
}

type received struct {
	id, typ string
	rev     int64
	data    map[string]any
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// trust sets the secrets a message must be signed with, each.
func (r *receiver) trust(t testing.TB, secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verify = nil
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatalf("standardwebhooks.NewWebhook(%q): %v", s, err)
		}
		r.verify = append(r.verify, wh)
	}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, wh := range r.verify {
		if err := wh.Verify(body, req.Header); err != nil {
			r.rejected = append(r.rejected, err.Error())
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
	}
	if len(r.answers) > 0 {
		status := r.answers[0]
		r.answers = r.answers[1:]
		http.Error(w, "not now", status)
		return
	}
	var m struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type == "" || m.Timestamp.IsZero() {
		r.rejected = append(r.rejected, "not a message: "+string(body))
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rev, _ := m.Data["revision"].(float64)
	r.got = append(r.got, received{id: req.Header.Get("webhook-id"), typ: m.Type, rev: int64(rev), data: m.Data})
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits until the receiver has n messages, and returns them.
func (r *receiver) waitFor(t testing.TB, n int) []received {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got, rejected := append([]received(nil), r.got...), r.rejected
		r.mu.Unlock()
		if len(rejected) > 0 {
			t.Fatalf("the receiver rejected messages: %q", rejected)
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d messages, want %d: %+v", len(got), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice")
		e.MustCommunity(t, "other", "carol")
		r := newReceiver(t)
		res := e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{
			"url": r.URL + "/hook", "events": []string{"member.", "member."}, "communityId": "guild", "enabled": false})
		id, secret := res.Str("id"), res.Str("secret")
		if !strings.HasPrefix(secret, "whsec_") || res.JSON["enabled"] != false || fmt.Sprint(res.JSON["events"]) != "[member.]" {
			t.Fatalf("create: got %s, want a disabled endpoint with a whsec_ secret and events [member.]", res.Raw)
		}
		if got := e.Must(t, http.StatusOK, "GET", "/v1/webhooks/"+id, nil); got.Str("secret") != "" || strings.Contains(string(got.Raw), secret) {
			t.Fatalf("get: got %s, want no secret", got.Raw)
		}
		if list := e.Must(t, http.StatusOK, "GET", "/v1/webhooks", nil); len(list.Items()) != 1 || strings.Contains(string(list.Raw), secret) {
			t.Fatalf("list: got %s, want one endpoint without its secret", list.Raw)
		}
		r.trust(t, secret)
		from := int64(e.Revision(t))
		e.Must(t, http.StatusOK, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": true})

		// The endpoint fails three times, then takes every event after it
		// was enabled, in order.
		r.mu.Lock()
		r.answers = []int{500, 503, 429}
		r.mu.Unlock()
		for i := range 5 {
			e.Must(t, http.StatusCreated, "PUT", fmt.Sprintf("/v1/communities/guild/members/u%d", i), nil)
			e.Must(t, http.StatusCreated, "PUT", fmt.Sprintf("/v1/communities/other/members/u%d", i), nil)
		}
		role := e.MustRole(t, "guild", "Mods")
		e.MustGrant(t, "guild", "u1", role)
		want := e.Must(t, http.StatusOK, "GET", fmt.Sprintf("/v1/changes?after=%d&communityId=guild&action=member.&limit=1000", from), nil).Items()
		got := r.waitFor(t, len(want))
		for i, w := range want {
			if got[i].rev != int64(w["revision"].(float64)) || got[i].typ != w["action"] || got[i].id != fmt.Sprintf("msg_%s_%d", id, got[i].rev) {
				t.Fatalf("message %d: got %+v, want the event at %v (%v)", i, got[i], w["revision"], w["action"])
			}
		}
		if len(want) != 6 {
			t.Errorf("guild's member events: got %d, want 5 joins and a role added", len(want))
		}

		// The deliveries list the three failures, then each success.
		var deliveries []map[string]any
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			deliveries = e.Must(t, http.StatusOK, "GET", "/v1/webhooks/"+id+"/deliveries?limit=1000", nil).Items()
			if len(deliveries) >= len(want)+3 {
				break
			}
		}
		if len(deliveries) != len(want)+3 {
			t.Fatalf("deliveries: got %d attempts, want %d", len(deliveries), len(want)+3)
		}
		first := deliveries[len(deliveries)-1] // newest first
		if first["outcome"] != "retrying" || first["status"] != 500.0 || first["attempt"] != 1.0 || first["nextAt"] == nil || !strings.Contains(first["response"].(string), "not now") {
			t.Errorf("the first attempt: got %v, want a 500 to retry", first)
		}
		if last := deliveries[0]; last["outcome"] != "delivered" || last["status"] != 204.0 {
			t.Errorf("the last attempt: got %v, want delivered", last)
		}
		if w := e.Must(t, http.StatusOK, "GET", "/v1/webhooks/"+id, nil); w.JSON["failingSince"] != nil {
			t.Errorf("an endpoint that recovered: got failingSince %v, want none", w.JSON["failingSince"])
		}

		// A retry by hand sends the event again, with its webhook-id.
		delivery := fmt.Sprintf("msg_%s_%d", id, got[0].rev)
		a := e.Must(t, http.StatusOK, "POST", "/v1/webhooks/"+id+"/deliveries/"+delivery+"/retry", nil)
		if a.Str("outcome") != "delivered" || a.Str("deliveryId") != delivery {
			t.Errorf("retry: got %s, want delivered", a.Raw)
		}
		if again := r.waitFor(t, len(want)+1); again[len(want)].id != delivery {
			t.Errorf("retry: the receiver got %+v, want %s again", again[len(want)], delivery)
		}
		for _, bad := range []string{"msg_" + id + "_999999", "msg_other_1", "nonsense"} {
			if res := e.Do(t, "POST", "/v1/webhooks/"+id+"/deliveries/"+bad+"/retry", nil); res.Status != http.StatusNotFound || res.Code() != "delivery_not_found" {
				t.Errorf("retry of %s: got %d %s, want 404 delivery_not_found", bad, res.Status, res.Raw)
			}
		}

		// A test message, signed with both secrets once rotated.
		rotated := e.Must(t, http.StatusOK, "POST", "/v1/webhooks/"+id+"/rotate-secret", nil).Str("secret")
		if rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
			t.Fatalf("rotate-secret: got %q, want a new secret", rotated)
		}
		r.trust(t, secret, rotated)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			a = e.Must(t, http.StatusOK, "POST", "/v1/webhooks/"+id+"/test", nil)
			if a.Str("outcome") == "delivered" || time.Now().After(deadline) {
				break // the secret reaches the deliverer when it next renews its lease
			}
			r.mu.Lock()
			r.rejected = nil
			r.mu.Unlock()
		}
		if a.Str("outcome") != "delivered" || a.JSON["attempt"] != 0.0 {
			t.Fatalf("test: got %s, want delivered, attempt 0", a.Raw)
		}
		if m := r.waitFor(t, len(want)+2)[len(want)+1]; m.typ != "webhook.test" || m.data["targetId"] != id {
			t.Errorf("test: the receiver got %+v, want webhook.test", m)
		}

		// 410 disables the endpoint, saying why.
		r.mu.Lock()
		r.answers = []int{http.StatusGone}
		r.mu.Unlock()
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/members/late", nil)
		var w Res
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if w = e.Must(t, http.StatusOK, "GET", "/v1/webhooks/"+id, nil); w.JSON["enabled"] == false {
				break
			}
		}
		if w.JSON["enabled"] != false || !strings.Contains(w.Str("disabledReason"), "410") {
			t.Errorf("after a 410: got %s, want the endpoint disabled for it", w.Raw)
		}
		audit := e.Must(t, http.StatusOK, "GET", "/v1/changes?action=webhook.&limit=1000", nil)
		var actions []string
		for _, it := range audit.Items() {
			actions = append(actions, it["action"].(string))
		}
		if strings.Contains(string(audit.Raw), secret) || strings.Contains(string(audit.Raw), rotated) || strings.Contains(string(audit.Raw), "/hook") {
			t.Fatalf("the webhook events hold a secret, or the URL's path: %s", audit.Raw)
		}
		if fmt.Sprint(actions) != "[webhook.created webhook.updated webhook.secret_rotated webhook.updated]" {
			t.Errorf("webhook events: got %v", actions)
		}
		e.Must(t, http.StatusNoContent, "DELETE", "/v1/webhooks/"+id, nil)
		if res := e.Do(t, "GET", "/v1/webhooks/"+id, nil); res.Status != http.StatusNotFound || res.Code() != "webhook_not_found" {
			t.Errorf("a deleted endpoint: got %d %s, want 404 webhook_not_found", res.Status, res.Raw)
		}
	})
}

func TestWebhookAccess(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "guild", "alice", "bob")
	e.MustCommunity(t, "other", "carol")
	restricted := e.MustKey(t, map[string]any{"name": "guild admin", "scopes": []string{"admin"}, "communityId": "guild"})
	writer := e.MustKey(t, map[string]any{"name": "writer", "scopes": []string{"write"}})
	actAs := e.MustKey(t, map[string]any{"name": "as users", "scopes": []string{"admin"}, "actAs": true})
	const url = "https://hooks.example.com/roster"

	// A restricted key makes and sees its community's endpoints alone.
	mine := e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url}, Req{Key: restricted})
	if mine.JSON["communityId"] != "guild" {
		t.Errorf("an endpoint of a restricted key: got %s, want it in guild", mine.Raw)
	}
	theirs := e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url, "communityId": "other"}).Str("id")
	if res := e.Do(t, "POST", "/v1/webhooks", map[string]any{"url": url, "communityId": "other"}, Req{Key: restricted}); res.Status != http.StatusNotFound {
		t.Errorf("a restricted key making an endpoint of another community: got %d %s, want 404", res.Status, res.Raw)
	}
	if res := e.Do(t, "GET", "/v1/webhooks/"+theirs, nil, Req{Key: restricted}); res.Code() != "webhook_not_found" {
		t.Errorf("a restricted key reading another community's endpoint: got %d %s, want 404 webhook_not_found", res.Status, res.Raw)
	}
	if list := e.Must(t, http.StatusOK, "GET", "/v1/webhooks", nil, Req{Key: restricted}); len(list.Items()) != 1 {
		t.Errorf("a restricted key's list: got %s, want its one endpoint", list.Raw)
	}
	if res := e.Do(t, "POST", "/v1/webhooks", map[string]any{"url": url}, Req{Key: writer}); res.Code() != "insufficient_scope" {
		t.Errorf("a write key: got %d %s, want 403 insufficient_scope", res.Status, res.Raw)
	}
	// A user needs MANAGE_COMMUNITY and VIEW_AUDIT_LOG; the owner has both.
	if res := e.Do(t, "POST", "/v1/webhooks", map[string]any{"url": url, "communityId": "guild"}, Req{Key: actAs, ActAs: "bob"}); res.Code() != "missing_permission" {
		t.Errorf("a member without permissions: got %d %s, want 403 missing_permission", res.Status, res.Raw)
	}
	e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url, "communityId": "guild"}, Req{Key: actAs, ActAs: "alice"})

	for _, body := range []map[string]any{
		{"url": ""}, {"url": "ftp://example.com/x"}, {"url": "/relative"}, {"url": "https://user:pw@example.com/"},
		{"url": url, "events": []string{"Member.Joined"}}, {"url": url, "events": []string{""}}, {"url": url, "events": []string{".x"}},
		{"url": url, "communityId": "bad id"}, {"url": url, "secret": "whsec_mine"},
	} {
		if res := e.Do(t, "POST", "/v1/webhooks", body); res.Status != http.StatusUnprocessableEntity || res.Code() != "validation_failed" {
			t.Errorf("POST /v1/webhooks %v: got %d %s, want 422 validation_failed", body, res.Status, res.Raw)
		}
	}
	if res := e.Do(t, "POST", "/v1/webhooks", map[string]any{"url": url, "communityId": "nowhere"}); res.Code() != "community_not_found" {
		t.Errorf("an endpoint of a community that does not exist: got %d %s, want 404 community_not_found", res.Status, res.Raw)
	}
	if res := e.Do(t, "PATCH", "/v1/webhooks/"+theirs, map[string]any{"url": "gopher://x"}); res.Code() != "validation_failed" {
		t.Errorf("PATCH with a bad url: got %d %s, want 422", res.Status, res.Raw)
	}

	// A community's endpoints go with it: one made later with its id is
	// not theirs.
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/other", nil)
	if res := e.Do(t, "GET", "/v1/webhooks/"+theirs, nil); res.Code() != "webhook_not_found" {
		t.Errorf("an endpoint of a deleted community: got %d %s, want 404 webhook_not_found", res.Status, res.Raw)
	}
	if got := e.Must(t, http.StatusOK, "GET", "/v1/changes?action=webhook.deleted&target="+theirs, nil).Items(); len(got) != 1 {
		t.Errorf("the deletion of a deleted community's endpoint: got %d events, want one webhook.deleted", len(got))
	}

	// The limit is per community: guild's full one leaves others theirs.
	for range roster.MaxWebhooks - 2 {
		e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url}, Req{Key: restricted})
	}
	if res := e.Do(t, "POST", "/v1/webhooks", map[string]any{"url": url}, Req{Key: restricted}); res.Code() != "limit_reached" {
		t.Errorf("guild's endpoint %d: got %d %s, want 409 limit_reached", roster.MaxWebhooks+1, res.Status, res.Raw)
	}
	e.Must(t, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url})
}
