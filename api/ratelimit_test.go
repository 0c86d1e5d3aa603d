package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// A key over its rate limit is answered 429 rate_limited with Retry-After
// and the RateLimit headers; checks and writes have their own buckets, each
// key its own, and a bucket fills again with time.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	clock := &Clock{}
	e := mustEnvOwn(t, sqltest.SQLite, func(*sqlstore.DB) api.Options {
		return api.Options{Now: clock.Now, Limits: api.Limits{roster.ScopeCheck: 2, roster.ScopeWrite: 1}}
	})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "guild", "name": "Guild", "ownerId": "olive"})
	clock.Advance(time.Second) // the write bucket fills again
	check := map[string]any{"communityId": "guild", "userId": "olive", "permission": "BAN_MEMBERS"}
	for i := range 2 {
		res := e.Do(t, "POST", "/v1/check", check)
		if res.Status != http.StatusOK || res.Header.Get("RateLimit-Policy") != `"check";q=2;w=1` || !strings.HasPrefix(res.Header.Get("RateLimit"), `"check";r=`) {
			t.Fatalf("check %d: got %d, headers %v", i, res.Status, res.Header)
		}
	}
	res := e.Do(t, "POST", "/v1/check", check)
	if res.Status != http.StatusTooManyRequests || res.Code() != roster.ERATELIMITED || res.Header.Get("Retry-After") != "1" || res.Header.Get("RateLimit") != `"check";r=0;t=1` {
		t.Fatalf("a third check in the second: got %d %s, headers %v", res.Status, res.Raw, res.Header)
	}
	if res := e.Do(t, "POST", "/v1/check/batch", map[string]any{"checks": []any{check}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("a batch in the same second: got %d, want 429 (one bucket for the checks)", res.Status)
	}
	// Reads are not limited; writes have their own bucket.
	if res := e.Do(t, "GET", "/v1/communities/guild", nil); res.Status != http.StatusOK || res.Header.Get("RateLimit") != "" {
		t.Errorf("a read: got %d, headers %v", res.Status, res.Header)
	}
	e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/members/bob", nil)
	if res := e.Do(t, "PUT", "/v1/communities/guild/members/carol", nil); res.Status != http.StatusTooManyRequests {
		t.Errorf("a second write in the second: got %d, want 429", res.Status)
	}
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if _, err := e.Store.FindMember(sys, "guild", "carol"); roster.ErrorCode(err) != roster.EMEMBERNOTFOUND {
		t.Errorf("the refused write was made: %v", err)
	}
	// Another key has its own buckets.
	other, _, err := e.Store.CreateAPIKey(sys, roster.APIKey{Name: "other", Scopes: []string{roster.ScopeCheck}})
	if err != nil {
		t.Fatal(err)
	}
	if res := e.Do(t, "POST", "/v1/check", check, Req{Key: other.Secret}); res.Status != http.StatusOK {
		t.Errorf("a check by another key: got %d, want 200", res.Status)
	}
	// A second later the bucket holds tokens again.
	clock.Advance(time.Second)
	if res := e.Do(t, "POST", "/v1/check", check); res.Status != http.StatusOK {
		t.Errorf("a check a second later: got %d, want 200", res.Status)
	}
}
