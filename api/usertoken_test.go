package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/jwtauth"
	"github.com/rosterhq/roster/jwtauth/jwttest"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestUserTokens signs users in with the host platform's tokens: each acts
// as its sub, with every guard of their own roles; a bad token is 401 with
// its reason.
func TestUserTokens(t *testing.T) {
	t.Parallel()
	secret := []byte("a shared secret of thirty-two bytes or more")
	hs, rs := jwttest.NewSigner(t, jwa.HS256(), "", secret), jwttest.NewSigner(t, jwa.RS256(), "k1", nil)
	const iss, aud = "https://platform.example", "roster"
	v, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: iss, Audience: aud, HS256Secret: secret, JWKS: jwttest.WriteJWKS(t, rs)})
	if err != nil {
		t.Fatal(err)
	}
	e := mustEnvOwn(t, sqltest.SQLite, func(*sqlstore.DB) api.Options { return api.Options{Tokens: v} })
	e.MustCommunity(t, "guild", "alice", "bob")
	e.MustCommunity(t, "other", "carol")
	now := time.Now()
	token := func(s jwttest.Signer, sub string, change ...any) Req {
		return Req{Key: s.Sign(t, jwttest.Claims(iss, aud, sub, now, change...))}
	}

	// The owner creates a role; the audit log names her, through a token.
	res := e.Must(t, http.StatusCreated, "POST", "/v1/communities/guild/roles", map[string]any{"name": "Mods", "permissions": []string{"MANAGE_POSTS"}}, token(hs, "alice"))
	ev := e.Must(t, http.StatusOK, "GET", "/v1/audit?action=role.created&target="+res.Str("id"), nil).Items()
	if len(ev) != 1 || ev[0]["actor"].(map[string]any)["userId"] != "alice" || ev[0]["actor"].(map[string]any)["keyId"] != "token" {
		t.Errorf("the audit of a change by a user token: got %v, want actor alice through a token", ev)
	}
	// A member without MANAGE_ROLES may not; checks and reads work.
	if res := e.Do(t, "POST", "/v1/communities/guild/roles", map[string]any{"name": "Mine", "permissions": []string{}}, token(rs, "bob")); res.Code() != "missing_permission" {
		t.Errorf("bob, without MANAGE_ROLES: got %d %s, want 403 missing_permission", res.Status, res.Raw)
	}
	e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "userId": "bob", "permission": "SEND_MESSAGES"}, token(rs, "bob"))
	// Keys and webhooks are not for user tokens; nor is another user.
	if res := e.Do(t, "GET", "/v1/api-keys", nil, token(hs, "alice")); res.Code() != "insufficient_scope" {
		t.Errorf("a user token listing keys: got %d %s, want 403 insufficient_scope", res.Status, res.Raw)
	}
	alice := token(hs, "alice")
	alice.ActAs = "bob"
	if res := e.Do(t, "GET", "/v1/communities/guild", nil, alice); res.Code() != "insufficient_scope" {
		t.Errorf("a user token acting as another user: got %d %s, want 403 insufficient_scope", res.Status, res.Raw)
	}
	// A token restricted to guild does not reach another community.
	if res := e.Do(t, "GET", "/v1/communities/other", nil, token(hs, "carol", "roster_community", "guild")); res.Code() != "community_not_found" {
		t.Errorf("a token restricted to guild reading other: got %d %s, want 404", res.Status, res.Raw)
	}

	for _, tc := range []struct {
		name string
		req  Req
		why  string
	}{
		{"expired", token(hs, "alice", "exp", now.Add(-time.Hour).Unix()), "expired"},
		{"not yet valid", token(hs, "alice", "nbf", now.Add(time.Hour).Unix()), "not valid yet"},
		{"another issuer", token(rs, "alice", "iss", "https://evil.example"), "iss"},
		{"another audience", token(rs, "alice", "aud", "other"), "aud"},
		{"an unknown key", token(jwttest.NewSigner(t, jwa.RS256(), "k2", nil), "alice"), "does not know"},
		{"malformed", Req{Key: "not.a.token"}, "malformed"},
	} {
		res := e.Do(t, "GET", "/v1/communities/guild", nil, tc.req)
		if res.Status != http.StatusUnauthorized || res.Code() != "unauthenticated" || !strings.Contains(res.Str("detail"), tc.why) {
			t.Errorf("a token %s: got %d %s, want 401 unauthenticated saying %q", tc.name, res.Status, res.Raw, tc.why)
		}
	}
	// API keys still work beside tokens.
	e.Must(t, http.StatusOK, "GET", "/v1/communities/guild", nil)
}
