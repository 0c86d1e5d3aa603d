package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var apiKeyTests = []test{
	{"CreateAPIKey", testCreateAPIKey},
	{"CreateAPIKeyInvalid", testCreateAPIKeyInvalid},
	{"CreateAPIKeyUnknownCommunity", testCreateAPIKeyUnknownCommunity},
	{"RevokeAPIKey", testRevokeAPIKey},
	{"RevokeAPIKeyNotFound", testRevokeAPIKeyNotFound},
	{"ExpiredAPIKey", testExpiredAPIKey},
	{"AuthenticateUnknown", testAuthenticateUnknown},
	{"APIKeyGuards", testAPIKeyGuards},
	{"BootstrapKey", testBootstrapKey},
	{"BootstrapKeyWithSecret", testBootstrapKeyWithSecret},
	{"BootstrapKeyShortSecret", testBootstrapKeyShortSecret},
	{"LastAdminKey", testLastAdminKey},
	{"DeleteCommunityRevokesKeys", testDeleteCommunityRevokesKeys},
}

func allKeys(t *testing.T, f *fixture) []roster.APIKey {
	t.Helper()
	keys, _, err := f.ListAPIKeys(f.key, roster.Page{Limit: roster.MaxPageLimit})
	if err != nil {
		t.Fatalf("ListAPIKeys: %v", err)
	}
	return keys
}

func testCreateAPIKey(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	k, rev, err := f.CreateAPIKey(f.key, roster.APIKey{
		Name: " bot ", Scopes: []string{roster.ScopeWrite, roster.ScopeRead, roster.ScopeWrite},
		CommunityID: ptr("c1"), ActAs: true, ExpiresAt: &exp,
	})
	wantCode(t, "CreateAPIKey", err, "")
	if k.ID == "" || k.Secret == "" || k.Name != "bot" || !k.ActAs || k.CommunityID == nil || *k.CommunityID != "c1" || k.RevokedAt != nil {
		t.Errorf("CreateAPIKey: got %+v, want an id, a secret, name bot, actAs, restricted to c1, live", k)
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) || k.CreatedAt.IsZero() {
		t.Errorf("CreateAPIKey: got expiresAt %v createdAt %v, want %v and a time", k.ExpiresAt, k.CreatedAt, exp)
	}
	if want := []string{roster.ScopeRead, roster.ScopeWrite}; !slices.Equal(roster.CleanKeys(k.Scopes), want) || len(k.Scopes) != 2 {
		t.Errorf("scopes: got %v, want %v with duplicates collapsed", k.Scopes, want)
	}
	ev := wantEvent(t, f, "CreateAPIKey", before, rev, roster.ActionAPIKeyCreated)
	if ev.TargetID != k.ID {
		t.Errorf("event: got target %s, want %s", ev.TargetID, k.ID)
	}
	if strings.Contains(string(ev.After), k.Secret) || strings.Contains(string(ev.Before), k.Secret) {
		t.Error("event: got the secret in the audit log, want it nowhere")
	}
	// The secret is shown once: the list has none.
	keys := allKeys(t, f)
	if len(keys) != 1 || keys[0].ID != k.ID || keys[0].Secret != "" {
		t.Fatalf("ListAPIKeys: got %+v, want the key without its secret", keys)
	}
	got, err := f.Authenticate(t.Context(), k.Secret)
	wantCode(t, "Authenticate", err, "")
	if got.ID != k.ID || got.Secret != "" || got.CommunityID == nil || *got.CommunityID != "c1" || !got.ActAs {
		t.Errorf("Authenticate: got %+v, want key %s without its secret", got, k.ID)
	}
	// Each key has its own secret.
	k2, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "bot", Scopes: []string{roster.ScopeCheck}})
	wantCode(t, "CreateAPIKey again", err, "")
	if k2.Secret == k.Secret || k2.ID == k.ID || len(k2.Secret) < 16 {
		t.Errorf("second key: got id %s secret %q, want a new id and a new long secret", k2.ID, k2.Secret)
	}
	if got, err := f.Authenticate(t.Context(), k2.Secret); err != nil || got.ID != k2.ID {
		t.Errorf("Authenticate(second): got %s, %v, want %s", got.ID, err, k2.ID)
	}
}

func testCreateAPIKeyInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	past := time.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name string
		k    roster.APIKey
	}{
		{"no name", roster.APIKey{Name: "  ", Scopes: []string{roster.ScopeRead}}},
		{"long name", roster.APIKey{Name: strings.Repeat("k", 101), Scopes: []string{roster.ScopeRead}}},
		{"no scopes", roster.APIKey{Name: "k"}},
		{"unknown scope", roster.APIKey{Name: "k", Scopes: []string{"superuser"}}},
		{"expired", roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}, ExpiresAt: &past}},
		{"bad community id", roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}, CommunityID: ptr("c 1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.CreateAPIKey(f.key, tc.k)
			wantCode(t, "CreateAPIKey", err, roster.EVALIDATION)
			wantNoChange(t, f, "CreateAPIKey", before, rev)
		})
	}
	if keys := allKeys(t, f); len(keys) != 0 {
		t.Errorf("ListAPIKeys: got %d keys, want none", len(keys))
	}
}

func testCreateAPIKeyUnknownCommunity(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}, CommunityID: ptr("nope")})
	wantCode(t, "CreateAPIKey", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "CreateAPIKey", before, rev)
}

func testRevokeAPIKey(t *testing.T, open Opener) {
	f := newFixture(t, open)
	k, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeAdmin}})
	wantCode(t, "CreateAPIKey", err, "")
	other, _, _ := f.CreateAPIKey(f.key, roster.APIKey{Name: "other", Scopes: []string{roster.ScopeAdmin}})
	before := MustRevision(t, f.key, f)
	rev, err := f.RevokeAPIKey(f.key, k.ID)
	wantCode(t, "RevokeAPIKey", err, "")
	if ev := wantEvent(t, f, "RevokeAPIKey", before, rev, roster.ActionAPIKeyRevoked); ev.Revision != 0 && (ev.TargetID != k.ID) {
		t.Errorf("event: got revision %d target %s, want %d, %s", ev.Revision, ev.TargetID, rev, k.ID)
	}
	_, err = f.Authenticate(t.Context(), k.Secret)
	wantCode(t, "Authenticate with a revoked key", err, roster.EUNAUTHENTICATED)
	if _, err := f.Authenticate(t.Context(), other.Secret); err != nil {
		t.Errorf("Authenticate with another key: got %v, want success", err)
	}
	for _, listed := range allKeys(t, f) {
		if listed.ID == k.ID && listed.RevokedAt == nil {
			t.Error("ListAPIKeys: got the revoked key without revokedAt")
		}
		if listed.ID == other.ID && listed.RevokedAt != nil {
			t.Error("ListAPIKeys: got the live key with revokedAt")
		}
	}
	before = MustRevision(t, f.key, f)
	rev, err = f.RevokeAPIKey(f.key, k.ID)
	wantCode(t, "RevokeAPIKey twice", err, roster.EAPIKEYREVOKED)
	wantNoChange(t, f, "RevokeAPIKey twice", before, rev)
}

func testRevokeAPIKeyNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	rev, err := f.RevokeAPIKey(f.key, "nope")
	wantCode(t, "RevokeAPIKey", err, roster.EAPIKEYNOTFOUND)
	wantNoChange(t, f, "RevokeAPIKey", before, rev)
}

func testExpiredAPIKey(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	exp := f.clock.Now().Add(time.Hour)
	k, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}, ExpiresAt: &exp})
	wantCode(t, "CreateAPIKey", err, "")
	if _, err := f.Authenticate(t.Context(), k.Secret); err != nil {
		t.Fatalf("Authenticate before expiry: got %v, want success", err)
	}
	f.clock.Advance(time.Hour)
	_, err = f.Authenticate(t.Context(), k.Secret)
	wantCode(t, "Authenticate at expiry", err, roster.EUNAUTHENTICATED)
	// A key may not be created already expired by the store's clock.
	past := f.clock.Now().Add(-time.Second)
	_, _, err = f.CreateAPIKey(f.key, roster.APIKey{Name: "k2", Scopes: []string{roster.ScopeRead}, ExpiresAt: &past})
	wantCode(t, "CreateAPIKey expiring in the past", err, roster.EVALIDATION)
}

func testAuthenticateUnknown(t *testing.T, open Opener) {
	f := newFixture(t, open)
	k, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}})
	wantCode(t, "CreateAPIKey", err, "")
	for _, secret := range []string{"", "roster_nope", k.Secret + "x", k.ID, strings.ToUpper(k.Secret)} {
		if secret == k.Secret {
			continue
		}
		_, err := f.Authenticate(t.Context(), secret)
		wantCode(t, "Authenticate("+secret+")", err, roster.EUNAUTHENTICATED)
	}
}

func testAPIKeyGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	k, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}})
	wantCode(t, "CreateAPIKey", err, "")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreateAPIKey(f.as(t, "owner"), roster.APIKey{Name: "mine", Scopes: []string{roster.ScopeAdmin}})
	wantCode(t, "CreateAPIKey by a community owner", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "CreateAPIKey", before, rev)
	rev, err = f.RevokeAPIKey(f.as(t, "owner"), k.ID)
	wantCode(t, "RevokeAPIKey by a community owner", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "RevokeAPIKey", before, rev)
	_, _, err = f.ListAPIKeys(f.as(t, "owner"), roster.Page{})
	wantCode(t, "ListAPIKeys by a community owner", err, roster.EMISSINGPERMISSION)

	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	if _, _, err := f.CreateAPIKey(f.as(t, "root"), roster.APIKey{Name: "root's", Scopes: []string{roster.ScopeRead}}); err != nil {
		t.Errorf("CreateAPIKey by a platform admin: got %v, want success", err)
	}
	if _, err := f.RevokeAPIKey(f.as(t, "root"), k.ID); err != nil {
		t.Errorf("RevokeAPIKey by a platform admin: got %v, want success", err)
	}
}

func testBootstrapKey(t *testing.T, open Opener) {
	f := newFixture(t, open)
	secret, err := f.EnsureBootstrapKey(t.Context(), "")
	wantCode(t, "EnsureBootstrapKey", err, "")
	if secret == "" {
		t.Fatal("EnsureBootstrapKey on an empty store: got no secret, want a new admin key's")
	}
	k, err := f.Authenticate(t.Context(), secret)
	wantCode(t, "Authenticate with the bootstrap key", err, "")
	if !slices.Contains(k.Scopes, roster.ScopeAdmin) || k.CommunityID != nil {
		t.Errorf("bootstrap key: got scopes %v community %v, want an unrestricted admin key", k.Scopes, k.CommunityID)
	}
	before := MustRevision(t, f.key, f)
	again, err := f.EnsureBootstrapKey(t.Context(), "")
	wantCode(t, "EnsureBootstrapKey again", err, "")
	if again != "" {
		t.Errorf("EnsureBootstrapKey again: got secret %q, want none", again)
	}
	if keys := allKeys(t, f); len(keys) != 1 {
		t.Errorf("ListAPIKeys: got %d keys, want 1", len(keys))
	}
	if now := MustRevision(t, f.key, f); now != before {
		t.Errorf("revision: got %d, want %d unchanged", now, before)
	}
	// A store whose keys cannot administer everything (read-only, or
	// restricted to a community) gets a new admin key; one with a live,
	// unrestricted admin key does not.
	g := newFixture(t, open)
	MustCreateOwned(t, g.key, g, "c1", "")
	for _, k := range []roster.APIKey{
		{Name: "reader", Scopes: []string{roster.ScopeRead}},
		{Name: "community admin", Scopes: []string{roster.ScopeAdmin}, CommunityID: ptr("c1")},
	} {
		if _, _, err := g.CreateAPIKey(g.key, k); err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
	}
	s, err := g.EnsureBootstrapKey(t.Context(), "")
	if err != nil || s == "" {
		t.Fatalf("EnsureBootstrapKey without an unrestricted admin key: got %q, %v, want a new secret", s, err)
	}
	if s, err := g.EnsureBootstrapKey(t.Context(), ""); err != nil || s != "" {
		t.Errorf("EnsureBootstrapKey with an admin key present: got %q, %v, want no secret", s, err)
	}
	if keys := allKeys(t, g); len(keys) != 3 {
		t.Errorf("ListAPIKeys: got %d keys, want 3", len(keys))
	}
}

func testLastAdminKey(t *testing.T, open Opener) {
	f := newFixture(t, open)
	secret, err := f.EnsureBootstrapKey(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.Authenticate(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	before := MustRevision(t, f.key, f)
	_, err = f.RevokeAPIKey(f.key, root.ID)
	wantCode(t, "revoking the last admin key", err, roster.ELASTADMINKEY)
	if now := MustRevision(t, f.key, f); now != before {
		t.Errorf("revision: got %d, want %d unchanged", now, before)
	}
	second, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "second admin", Scopes: []string{roster.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.RevokeAPIKey(f.key, root.ID)
	wantCode(t, "revoking an admin key while another lives", err, "")
	_, err = f.RevokeAPIKey(f.key, second.ID)
	wantCode(t, "revoking the admin key left", err, roster.ELASTADMINKEY)

	// A secret set for a key that was revoked is refused, not revived.
	const set = "an-admin-secret-set-by-the-operator"
	if _, err := f.EnsureBootstrapKey(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	k, err := f.Authenticate(t.Context(), set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.RevokeAPIKey(f.key, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.EnsureBootstrapKey(t.Context(), set); err == nil {
		t.Error("EnsureBootstrapKey with a revoked key's secret: got no error, want it refused")
	}
	if _, err := f.Authenticate(t.Context(), set); roster.ErrorCode(err) != roster.EUNAUTHENTICATED {
		t.Errorf("the revoked key: got %v, want unauthenticated", err)
	}
}

func testBootstrapKeyWithSecret(t *testing.T, open Opener) {
	f := newFixture(t, open)
	const secret = "a-very-long-admin-secret"
	if _, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "k", Scopes: []string{roster.ScopeRead}}); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	_, err := f.EnsureBootstrapKey(t.Context(), secret)
	wantCode(t, "EnsureBootstrapKey with a secret", err, "")
	k, err := f.Authenticate(t.Context(), secret)
	wantCode(t, "Authenticate with the given secret", err, "")
	if !slices.Contains(k.Scopes, roster.ScopeAdmin) {
		t.Errorf("bootstrap key: got scopes %v, want admin", k.Scopes)
	}
	if keys := allKeys(t, f); len(keys) != 2 {
		t.Errorf("ListAPIKeys: got %d keys, want 2", len(keys))
	}
	before := MustRevision(t, f.key, f)
	_, err = f.EnsureBootstrapKey(t.Context(), secret)
	wantCode(t, "EnsureBootstrapKey with the same secret again", err, "")
	if keys := allKeys(t, f); len(keys) != 2 {
		t.Errorf("ListAPIKeys: got %d keys, want still 2", len(keys))
	}
	if now := MustRevision(t, f.key, f); now != before {
		t.Errorf("revision: got %d, want %d unchanged", now, before)
	}
	if k2, err := f.Authenticate(t.Context(), secret); err != nil || k2.ID != k.ID {
		t.Errorf("Authenticate: got %s, %v, want the same key %s", k2.ID, err, k.ID)
	}
}

func testBootstrapKeyShortSecret(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	if _, err := f.EnsureBootstrapKey(t.Context(), "short"); err == nil {
		t.Error("EnsureBootstrapKey with a 5-character secret: got no error, want it refused")
	}
	if _, err := f.Authenticate(t.Context(), "short"); roster.ErrorCode(err) != roster.EUNAUTHENTICATED {
		t.Errorf("Authenticate(short): got %v, want %s", err, roster.EUNAUTHENTICATED)
	}
	if keys := allKeys(t, f); len(keys) != 0 {
		t.Errorf("ListAPIKeys: got %d keys, want none", len(keys))
	}
	if now := MustRevision(t, f.key, f); now != before {
		t.Errorf("revision: got %d, want %d unchanged", now, before)
	}
}

func testDeleteCommunityRevokesKeys(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustCreateOwned(t, f.key, f, "c2", "")
	k1, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "c1 bot", Scopes: []string{roster.ScopeWrite}, CommunityID: ptr("c1")})
	wantCode(t, "CreateAPIKey", err, "")
	k2, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "c2 bot", Scopes: []string{roster.ScopeWrite}, CommunityID: ptr("c2")})
	wantCode(t, "CreateAPIKey", err, "")
	all, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "all", Scopes: []string{roster.ScopeWrite}})
	wantCode(t, "CreateAPIKey", err, "")
	before := MustRevision(t, f.key, f)
	if _, err := f.DeleteCommunity(f.key, "c1"); err != nil {
		t.Fatalf("DeleteCommunity: %v", err)
	}
	_, err = f.Authenticate(t.Context(), k1.Secret)
	wantCode(t, "Authenticate with a key of the deleted community", err, roster.EUNAUTHENTICATED)
	for _, k := range []roster.APIKey{k2, all} {
		if _, err := f.Authenticate(t.Context(), k.Secret); err != nil {
			t.Errorf("Authenticate(%s): got %v, want success", k.Name, err)
		}
	}
	var revoked int
	for _, e := range MustEventsSince(t, f.key, f, before) {
		if e.Action == roster.ActionAPIKeyRevoked {
			revoked++
			if e.TargetID != k1.ID {
				t.Errorf("revoked event: got target %s, want %s", e.TargetID, k1.ID)
			}
		}
	}
	if revoked != 1 {
		t.Errorf("events: got %d %s, want 1", revoked, roster.ActionAPIKeyRevoked)
	}
	// A new community with the same id does not bring the key back.
	MustCreateOwned(t, f.key, f, "c1", "")
	_, err = f.Authenticate(t.Context(), k1.Secret)
	wantCode(t, "Authenticate after the id is reused", err, roster.EUNAUTHENTICATED)
}
