package jwtauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/readme"
	"github.com/rosterhq/roster/jwtauth"
	"github.com/rosterhq/roster/jwtauth/jwttest"
)

func claims(now time.Time, change ...any) map[string]any {
	return jwttest.Claims("https://platform.example", "roster", "alice", now, change...)
}

func TestVerifyToken(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	secret := []byte("a shared secret of thirty-two bytes or more")
	hs := jwttest.NewSigner(t, jwa.HS256(), "", secret)
	rs, es, ed := jwttest.NewSigner(t, jwa.RS256(), "rs", nil), jwttest.NewSigner(t, jwa.ES256(), "es", nil), jwttest.NewSigner(t, jwa.EdDSA(), "ed", nil)
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", HS256Secret: secret, JWKS: jwttest.WriteJWKS(t, rs, es, ed)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []jwttest.Signer{hs, rs, es, ed} {
		u, err := v.VerifyToken(ctx, s.Sign(t, claims(now, "roster_community", "guild")))
		if err != nil || u.UserID != "alice" || u.CommunityID != "guild" {
			t.Errorf("%s: got %+v, %v; want alice, restricted to guild", s.Alg, u, err)
		}
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://platform.example","aud":"roster","sub":"alice","exp":9999999999}`)) + "."
	other := jwttest.NewSigner(t, jwa.RS256(), "other", nil)
	for _, tc := range []struct{ name, token, why string }{
		{"expired", hs.Sign(t, claims(now, "exp", now.Add(-time.Hour).Unix())), "expired"},
		{"not yet valid", hs.Sign(t, claims(now, "nbf", now.Add(time.Hour).Unix())), "not valid yet"},
		{"another issuer", rs.Sign(t, claims(now, "iss", "https://evil.example")), "iss"},
		{"another audience", es.Sign(t, claims(now, "aud", "someone-else")), "aud"},
		{"no exp", ed.Sign(t, claims(now, "exp", nil)), "no exp"},
		{"a bad sub", hs.Sign(t, claims(now, "sub", "not a/user")), "sub"},
		{"a bad community", hs.Sign(t, claims(now, "roster_community", "a b")), "roster_community"},
		{"another secret", jwttest.NewSigner(t, jwa.HS256(), "", []byte("another secret, thirty-two bytes long!!")).Sign(t, claims(now)), "signature"},
		{"an unknown kid", other.Sign(t, claims(now)), "does not know"},
		{"alg none", none, "signature"},
		{"garbage", "a.b.c", "malformed"},
	} {
		_, err := v.VerifyToken(ctx, tc.token)
		if roster.ErrorCode(err) != roster.EUNAUTHENTICATED || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: got %v, want unauthenticated saying %q", tc.name, err, tc.why)
		}
	}
	// Within the skew, an expired token still passes.
	if _, err := v.VerifyToken(ctx, hs.Sign(t, claims(now, "exp", now.Add(-10*time.Second).Unix()))); err != nil {
		t.Errorf("expired 10 s ago, within the 30 s skew: got %v, want it accepted", err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	os.WriteFile(garbage, []byte("not a key set"), 0o600)
	for _, jwks := range []string{garbage, filepath.Join(t.TempDir(), "missing.json"), "http://127.0.0.1:1/jwks.json"} {
		if _, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "i", Audience: "a", JWKS: jwks}); err == nil || !strings.Contains(err.Error(), "JWKS") {
			t.Errorf("New with the JWKS %s: got %v, want an error naming the JWKS", jwks, err)
		}
	}
	for _, opt := range []jwtauth.Options{{Audience: "roster", HS256Secret: secret}, {Issuer: "i", HS256Secret: secret}, {Issuer: "i", Audience: "a"}, {Issuer: "i", Audience: "a", HS256Secret: []byte("short")}} {
		if _, err := jwtauth.New(ctx, opt); err == nil {
			t.Errorf("New(%+v): got no error", opt)
		}
	}
}

// TestJWKSURLRefreshesOnUnknownKid serves a JWKS whose keys are rotated: a
// token signed with the new key is accepted once the set is fetched again,
// which a kid it lacks causes (at most every jwtauth.MinRefresh).
func TestJWKSURLRefreshesOnUnknownKid(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := jwttest.NewSigner(t, jwa.ES256(), "2026-11", nil), jwttest.NewSigner(t, jwa.EdDSA(), "2026-12", nil)
	var mu sync.Mutex
	served, fetches := []jwttest.Signer{oldKey}, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		set := jwk.NewSet()
		for _, s := range served {
			set.AddKey(s.Public(t))
		}
		json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	var clock struct {
		sync.Mutex
		now time.Time
	}
	clock.now = time.Now()
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", JWKS: srv.URL, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyToken(ctx, oldKey.Sign(t, claims(now()))); err != nil {
		t.Fatalf("a token of the served key: %v", err)
	}
	mu.Lock()
	served = []jwttest.Signer{oldKey, newKey}
	mu.Unlock()
	token := newKey.Sign(t, claims(now()))
	if _, err := v.VerifyToken(ctx, token); err == nil {
		t.Error("a new kid right after a fetch: got it accepted, want the set not fetched again so soon")
	}
	clock.Lock()
	clock.now = clock.now.Add(jwtauth.MinRefresh + time.Second)
	clock.Unlock()
	if _, err := v.VerifyToken(ctx, newKey.Sign(t, claims(now()))); err != nil {
		t.Errorf("a new kid once the set may be fetched again: got %v, want it accepted", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fetches != 2 {
		t.Errorf("the JWKS was fetched %d times, want 2", fetches)
	}
}

// TestReadmeJWKS reads the README's example key set as the verifier does.
func TestReadmeJWKS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, []byte(readme.Block(t, "../README.md", "jwks-example")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: "i", Audience: "a", JWKS: path}); err != nil {
		t.Fatalf("the README's JWKS: %v", err)
	}
	set, err := jwk.ReadFile(path)
	if err != nil || set.Len() != 2 {
		t.Fatalf("the README's JWKS: got %v keys, %v; want 2", set, err)
	}
}

// TestVerifiedTokensExpire verifies a token, which is then remembered: it
// is still refused once it expires.
func TestVerifiedTokensExpire(t *testing.T) {
	ctx := context.Background()
	secret := []byte("a shared secret of thirty-two bytes or more")
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", HS256Secret: secret, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	token := jwttest.NewSigner(t, jwa.HS256(), "", secret).Sign(t, claims(now, "exp", now.Add(20*time.Second).Unix()))
	for range 2 {
		if _, err := v.VerifyToken(ctx, token); err != nil {
			t.Fatalf("a valid token: %v", err)
		}
	}
	mu.Lock()
	now = now.Add(51 * time.Second) // past exp and the skew
	mu.Unlock()
	if _, err := v.VerifyToken(ctx, token); roster.ErrorCode(err) != roster.EUNAUTHENTICATED {
		t.Errorf("a remembered token once expired: got %v, want unauthenticated", err)
	}
}

// BenchmarkVerifyToken verifies an RS256 token sent with every request:
// "verify" checks its signature each time (its clock moves a minute on
// between requests, so nothing is remembered); "remembered" finds it
// verified, as every request but one a minute does.
func BenchmarkVerifyToken(b *testing.B) {
	ctx := context.Background()
	rs := jwttest.NewSigner(b, jwa.RS256(), "k1", nil)
	start := time.Now()
	token := rs.Sign(b, claims(start, "exp", start.Add(100*365*24*time.Hour).Unix()))
	for _, tc := range []struct {
		name string
		step time.Duration
	}{{"verify", time.Minute + time.Second}, {"remembered", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			now := start
			clock := func() time.Time { return now }
			v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", JWKS: jwttest.WriteJWKS(b, rs), Now: clock})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(tc.step)
				if _, err := v.VerifyToken(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
