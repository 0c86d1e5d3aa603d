package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// mustKeyRecord creates a key and returns its record (with the secret).
func mustKeyRecord(t *testing.T, e *Env, body map[string]any) Res {
	t.Helper()
	res := e.Must(t, http.StatusCreated, "POST", "/v1/api-keys", body)
	if res.Str("id") == "" || res.Str("secret") == "" {
		t.Fatalf("create key: got %s, want an id and a secret", res.Raw)
	}
	return res
}

// authCase is one request with a key, and the answer wanted.
type authCase struct {
	name         string
	key          string
	method, path string
	body         any
	header       map[string]string
	status       int
	// code is the problem code; empty for a success.
	code string
}

// runAuthCases sends each request and checks its status and code, and that
// a refusal changed nothing.
func runAuthCases(t *testing.T, e *Env, cases []authCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Revision(t)
			res := e.Do(t, tc.method, tc.path, tc.body, Req{Key: tc.key, Header: tc.header})
			if res.Status != tc.status {
				t.Fatalf("status: got %d, want %d: %s", res.Status, tc.status, res.Raw)
			}
			if got := res.Code(); got != tc.code {
				t.Fatalf("code: got %q, want %q: %s", got, tc.code, res.Raw)
			}
			if tc.code != "" {
				if after := e.Revision(t); after != before {
					t.Errorf("revision: got %d after the refusal, want %d (unchanged)", after, before)
				}
			}
			if tc.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("WWW-Authenticate: got none, want a Bearer challenge")
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "a", "", "u1")
		live := e.MustKey(t, map[string]any{"name": "live", "scopes": []string{"read"}})
		revoked := mustKeyRecord(t, e, map[string]any{"name": "revoked", "scopes": []string{"admin"}})
		e.Must(t, http.StatusOK, "GET", "/v1/communities", nil, Req{Key: revoked.Str("secret")})
		e.Must(t, http.StatusNoContent, "DELETE", "/v1/api-keys/"+revoked.Str("id"), nil)
		expires := e.Clock.Now().Add(2 * time.Second)
		expired := e.MustKey(t, map[string]any{"name": "expiring", "scopes": []string{"admin"}, "expiresAt": expires.Format(time.RFC3339Nano)})
		e.Must(t, http.StatusOK, "GET", "/v1/communities", nil, Req{Key: expired})
		e.Clock.Advance(2*time.Second + 100*time.Millisecond)

		xKey := func(secret string) map[string]string { return map[string]string{"X-API-Key": secret} }
		const unauth = http.StatusUnauthorized
		runAuthCases(t, e, []authCase{
			{"no key", "-", "GET", "/v1/communities", nil, nil, unauth, "unauthenticated"},
			{"no key on a write", "-", "POST", "/v1/communities", map[string]any{"name": "x"}, nil, unauth, "unauthenticated"},
			{"bad bearer key", "roster_nope", "GET", "/v1/communities", nil, nil, unauth, "unauthenticated"},
			{"bad X-API-Key", "-", "GET", "/v1/communities", nil, xKey("roster_nope"), unauth, "unauthenticated"},
			{"empty bearer", "-", "GET", "/v1/communities", nil, map[string]string{"Authorization": "Bearer "}, unauth, "unauthenticated"},
			{"basic scheme", "-", "GET", "/v1/communities", nil, map[string]string{"Authorization": "Basic " + live}, unauth, "unauthenticated"},
			{"revoked key", revoked.Str("secret"), "GET", "/v1/communities", nil, nil, unauth, "unauthenticated"},
			{"revoked X-API-Key", "-", "GET", "/v1/communities", nil, xKey(revoked.Str("secret")), unauth, "unauthenticated"},
			{"expired key", expired, "GET", "/v1/communities", nil, nil, unauth, "unauthenticated"},
			{"expired key on a write", expired, "POST", "/v1/communities", map[string]any{"name": "x"}, nil, unauth, "unauthenticated"},
			{"expired X-API-Key", "-", "GET", "/v1/communities", nil, xKey(expired), unauth, "unauthenticated"},
			{"bearer key", live, "GET", "/v1/communities", nil, nil, http.StatusOK, ""},
			{"X-API-Key", "-", "GET", "/v1/communities", nil, xKey(live), http.StatusOK, ""},
			{"X-API-Key with surrounding spaces", "-", "GET", "/v1/communities", nil, xKey(" " + live + " "), http.StatusOK, ""},
			{"public health needs no key", "-", "GET", "/healthz", nil, nil, http.StatusOK, ""},
		})
	})
}

func TestKeyScopes(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "a", "", "u1")
		keys := map[string]string{}
		for _, s := range []string{"check", "read", "write", "admin"} {
			keys[s] = e.MustKey(t, map[string]any{"name": s, "scopes": []string{s}})
		}
		victim := mustKeyRecord(t, e, map[string]any{"name": "victim", "scopes": []string{"read"}}).Str("id")
		check := map[string]any{"communityId": "a", "userId": "u1", "permission": "VIEW_CHANNEL"}
		batch := map[string]any{"checks": []any{check}}
		role := func(n string) map[string]any { return map[string]any{"name": n, "permissions": []string{}} }
		newKey := map[string]any{"name": "k", "scopes": []string{"read"}}
		const denied, scope = http.StatusForbidden, "insufficient_scope"
		runAuthCases(t, e, []authCase{
			{"check/check", keys["check"], "POST", "/v1/check", check, nil, http.StatusOK, ""},
			{"check/check batch", keys["check"], "POST", "/v1/check/batch", batch, nil, http.StatusOK, ""},
			{"check/list communities", keys["check"], "GET", "/v1/communities", nil, nil, denied, scope},
			{"check/get community", keys["check"], "GET", "/v1/communities/a", nil, nil, denied, scope},
			{"check/list roles", keys["check"], "GET", "/v1/communities/a/roles", nil, nil, denied, scope},
			{"check/effective permissions", keys["check"], "GET", "/v1/communities/a/members/u1/permissions", nil, nil, denied, scope},
			{"check/audit", keys["check"], "GET", "/v1/audit", nil, nil, denied, scope},
			{"check/write", keys["check"], "PUT", "/v1/communities/a/members/u2", nil, nil, denied, scope},
			{"read/list communities", keys["read"], "GET", "/v1/communities", nil, nil, http.StatusOK, ""},
			{"read/list members", keys["read"], "GET", "/v1/communities/a/members", nil, nil, http.StatusOK, ""},
			{"read/audit", keys["read"], "GET", "/v1/audit", nil, nil, http.StatusOK, ""},
			{"read/check", keys["read"], "POST", "/v1/check", check, nil, http.StatusOK, ""},
			{"read/add member", keys["read"], "PUT", "/v1/communities/a/members/u2", nil, nil, denied, scope},
			{"read/create role", keys["read"], "POST", "/v1/communities/a/roles", role("r"), nil, denied, scope},
			{"read/create community", keys["read"], "POST", "/v1/communities", map[string]any{"name": "x"}, nil, denied, scope},
			{"read/delete community", keys["read"], "DELETE", "/v1/communities/a", nil, nil, denied, scope},
			{"read/register permission", keys["read"], "POST", "/v1/permissions", map[string]any{"key": "READ_TRY"}, nil, denied, scope},
			{"read/list keys", keys["read"], "GET", "/v1/api-keys", nil, nil, denied, scope},
			{"write/add member", keys["write"], "PUT", "/v1/communities/a/members/u2", nil, nil, http.StatusCreated, ""},
			{"write/create role", keys["write"], "POST", "/v1/communities/a/roles", role("w"), nil, http.StatusCreated, ""},
			{"write/create community", keys["write"], "POST", "/v1/communities", map[string]any{"id": "w", "name": "w"}, nil, http.StatusCreated, ""},
			{"write/read", keys["write"], "GET", "/v1/communities/a/roles", nil, nil, http.StatusOK, ""},
			{"write/check", keys["write"], "POST", "/v1/check", check, nil, http.StatusOK, ""},
			{"write/create key", keys["write"], "POST", "/v1/api-keys", newKey, nil, denied, scope},
			{"write/list keys", keys["write"], "GET", "/v1/api-keys", nil, nil, denied, scope},
			{"write/revoke key", keys["write"], "DELETE", "/v1/api-keys/" + victim, nil, nil, denied, scope},
			{"admin/create key", keys["admin"], "POST", "/v1/api-keys", newKey, nil, http.StatusCreated, ""},
			{"admin/create key for an unknown community", keys["admin"], "POST", "/v1/api-keys",
				map[string]any{"name": "k", "scopes": []string{"read"}, "communityId": "nope"}, nil, http.StatusNotFound, "community_not_found"},
			{"admin/list keys", keys["admin"], "GET", "/v1/api-keys", nil, nil, http.StatusOK, ""},
			{"admin/revoke key", keys["admin"], "DELETE", "/v1/api-keys/" + victim, nil, nil, http.StatusNoContent, ""},
			{"admin/add member", keys["admin"], "PUT", "/v1/communities/a/members/u3", nil, nil, http.StatusCreated, ""},
		})
	})
}

func TestCommunityRestrictedKey(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "a", "", "u1")
		e.MustCommunity(t, "b", "", "u1")
		e.MustRole(t, "b", "b-role")
		ka := e.MustKey(t, map[string]any{"name": "only a", "scopes": []string{"admin"}, "communityId": "a"})
		checkIn := func(c string) map[string]any {
			return map[string]any{"communityId": c, "userId": "u1", "permission": "VIEW_CHANNEL"}
		}
		const nf, cnf = http.StatusNotFound, "community_not_found"
		const denied, scope = http.StatusForbidden, "insufficient_scope"
		runAuthCases(t, e, []authCase{
			{"own community", ka, "GET", "/v1/communities/a", nil, nil, http.StatusOK, ""},
			{"own community write", ka, "PUT", "/v1/communities/a/members/u2", nil, nil, http.StatusCreated, ""},
			{"own community check", ka, "POST", "/v1/check", checkIn("a"), nil, http.StatusOK, ""},
			{"own community audit", ka, "GET", "/v1/audit?communityId=a", nil, nil, http.StatusOK, ""},
			{"other community", ka, "GET", "/v1/communities/b", nil, nil, nf, cnf},
			{"other community roles", ka, "GET", "/v1/communities/b/roles", nil, nil, nf, cnf},
			{"other community members", ka, "GET", "/v1/communities/b/members/u1", nil, nil, nf, cnf},
			{"other community write", ka, "PUT", "/v1/communities/b/members/u2", nil, nil, nf, cnf},
			{"other community delete", ka, "DELETE", "/v1/communities/b", nil, nil, nf, cnf},
			{"other community role removal", ka, "DELETE", "/v1/communities/b/roles/b-role", nil, nil, nf, cnf},
			{"check naming the other", ka, "POST", "/v1/check", checkIn("b"), nil, nf, cnf},
			{"check batch naming the other", ka, "POST", "/v1/check/batch", map[string]any{"checks": []any{checkIn("a"), checkIn("b")}}, nil, nf, cnf},
			{"audit of the other", ka, "GET", "/v1/audit?communityId=b", nil, nil, nf, cnf},
			{"create community", ka, "POST", "/v1/communities", map[string]any{"name": "x"}, nil, denied, scope},
			{"create platform role", ka, "POST", "/v1/platform/roles", map[string]any{"name": "x", "permissions": []string{}}, nil, denied, scope},
			{"list platform roles", ka, "GET", "/v1/platform/roles", nil, nil, denied, scope},
			{"grant platform role", ka, "PUT", "/v1/platform/users/u1/roles/admin", nil, nil, denied, scope},
			{"create key", ka, "POST", "/v1/api-keys", map[string]any{"name": "k", "scopes": []string{"read"}}, nil, denied, scope},
			{"list keys", ka, "GET", "/v1/api-keys", nil, nil, denied, scope},
			{"put user", ka, "PUT", "/v1/users/x", map[string]any{"displayName": "x"}, nil, denied, scope},
			{"register permission", ka, "POST", "/v1/permissions", map[string]any{"key": "RESTRICTED_TRY"}, nil, denied, scope},
		})

		t.Run("lists only its community", func(t *testing.T) {
			items := e.Must(t, http.StatusOK, "GET", "/v1/communities", nil, Req{Key: ka}).Items()
			if len(items) != 1 || items[0]["id"] != "a" {
				t.Errorf("communities: got %v, want only a", items)
			}
		})
		t.Run("audit holds only its community", func(t *testing.T) {
			items := e.Must(t, http.StatusOK, "GET", "/v1/audit?limit=1000", nil, Req{Key: ka}).Items()
			if len(items) == 0 {
				t.Fatal("audit: got no events, want those of community a")
			}
			for _, ev := range items {
				if ev["communityId"] != "a" {
					t.Errorf("audit event %v: got communityId %v, want a", ev["revision"], ev["communityId"])
				}
			}
		})
	})
}

func TestActAs(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "a", "", "u1")
		plain := e.MustKey(t, map[string]any{"name": "plain", "scopes": []string{"write"}})
		acting := e.MustKey(t, map[string]any{"name": "acting", "scopes": []string{"write"}, "actAs": true})
		as := func(u string) map[string]string { return map[string]string{"Roster-Act-As": u} }
		role := map[string]any{"name": "r", "permissions": []string{}}
		runAuthCases(t, e, []authCase{
			{"key without actAs writes", plain, "POST", "/v1/communities/a/roles", role, as("u1"), http.StatusForbidden, "insufficient_scope"},
			{"key without actAs reads", plain, "GET", "/v1/communities/a/roles", nil, as("u1"), http.StatusForbidden, "insufficient_scope"},
			{"admin key without actAs", e.Key, "GET", "/v1/communities", nil, as("u1"), http.StatusForbidden, "insufficient_scope"},
			{"malformed user id", acting, "GET", "/v1/communities/a/roles", nil, as("not a user"), http.StatusUnprocessableEntity, "validation_failed"},
			{"overlong user id", acting, "POST", "/v1/communities/a/roles", role, as(strings.Repeat("u", 129)), http.StatusUnprocessableEntity, "validation_failed"},
			{"user without MANAGE_ROLES", acting, "POST", "/v1/communities/a/roles", role, as("u1"), http.StatusForbidden, "missing_permission"},
			{"acting key itself", acting, "POST", "/v1/communities/a/roles", role, nil, http.StatusCreated, ""},
		})
		t.Run("malformed user id names the header", func(t *testing.T) {
			res := e.Must(t, http.StatusUnprocessableEntity, "GET", "/v1/communities", nil, Req{Key: acting, ActAs: "bad/id"})
			errs, _ := res.JSON["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["location"] != "header.Roster-Act-As" {
				t.Errorf("errors: got %v, want one at header.Roster-Act-As", res.JSON["errors"])
			}
		})
	})
}

func TestKeySecrets(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		rec := mustKeyRecord(t, e, map[string]any{"name": "shown once", "scopes": []string{"read"}})
		secret, id := rec.Str("secret"), rec.Str("id")
		if !strings.HasPrefix(secret, "roster_") || len(secret) < 40 {
			t.Errorf("secret: got %q, want roster_ and 256 random bits", secret)
		}
		e.Must(t, http.StatusOK, "GET", "/v1/communities", nil, Req{Key: secret})

		t.Run("list has no secret", func(t *testing.T) {
			list := e.Must(t, http.StatusOK, "GET", "/v1/api-keys", nil)
			found := false
			for _, k := range list.Items() {
				if _, ok := k["secret"]; ok {
					t.Errorf("key %v: got a secret member, want none", k["id"])
				}
				found = found || k["id"] == id
			}
			if !found {
				t.Errorf("keys: got %s, want key %s", list.Raw, id)
			}
			if bytes.Contains(list.Raw, []byte(secret)) {
				t.Error("list of keys: got the secret in the body, want it shown only at creation")
			}
		})
		t.Run("audit has no secret", func(t *testing.T) {
			res := e.Must(t, http.StatusOK, "GET", "/v1/audit?platform=true&target="+id, nil)
			if len(res.Items()) == 0 {
				t.Fatalf("audit: got no event for key %s, want apikey.created", id)
			}
			if bytes.Contains(res.Raw, []byte(secret)) {
				t.Error("audit: got the secret in an event, want it never stored")
			}
		})
		t.Run("database holds only the hash", func(t *testing.T) {
			if eng != sqltest.SQLite {
				t.Skip("reads the SQLite database's files; the hashing is the same on every engine")
			}
			path := e.DSN
			var all []byte
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, err := os.ReadFile(path + suffix)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			sum := sha256.Sum256([]byte(secret))
			if !bytes.Contains(all, []byte(hex.EncodeToString(sum[:]))) {
				t.Fatal("database files: got no SHA-256 of the secret, want it (are these the right files?)")
			}
			if bytes.Contains(all, []byte(secret)) || bytes.Contains(all, []byte(strings.TrimPrefix(secret, "roster_"))) {
				t.Error("database files: got the secret in clear, want only its hash")
			}
		})
	})
}

func TestDeleteCommunityRevokesKeys(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "x", "", "u1")
		e.MustCommunity(t, "y", "", "u1")
		kx := mustKeyRecord(t, e, map[string]any{"name": "x", "scopes": []string{"write"}, "communityId": "x"})
		ky := mustKeyRecord(t, e, map[string]any{"name": "y", "scopes": []string{"write"}, "communityId": "y"})
		e.Must(t, http.StatusOK, "GET", "/v1/communities/x", nil, Req{Key: kx.Str("secret")})

		e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/x", nil)

		for _, path := range []string{"/v1/communities", "/v1/communities/x"} {
			res := e.Do(t, "GET", path, nil, Req{Key: kx.Str("secret")})
			if res.Status != http.StatusUnauthorized || res.Code() != "unauthenticated" {
				t.Errorf("GET %s with the deleted community's key: got %d %q, want 401 unauthenticated", path, res.Status, res.Code())
			}
		}
		e.Must(t, http.StatusOK, "GET", "/v1/communities/y", nil, Req{Key: ky.Str("secret")})
		revoked := map[string]bool{}
		for _, k := range e.Must(t, http.StatusOK, "GET", "/v1/api-keys", nil).Items() {
			revoked[k["id"].(string)] = k["revokedAt"] != nil
		}
		if !revoked[kx.Str("id")] {
			t.Errorf("key of x: got not revoked, want revokedAt set")
		}
		if revoked[ky.Str("id")] {
			t.Errorf("key of y: got revoked, want live")
		}
		res := e.Must(t, http.StatusOK, "GET", "/v1/audit?platform=true&action=apikey.revoked&target="+kx.Str("id"), nil)
		if len(res.Items()) != 1 {
			t.Errorf("apikey.revoked events of x's key: got %d, want 1", len(res.Items()))
		}
	})
}
