package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

func TestCommunitySearch(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "fans", "name": "Fan Club"})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "chess", "name": "Chess"})
	if items := e.Must(t, http.StatusOK, "GET", "/v1/communities?search=club", nil).Items(); len(items) != 1 || items[0]["id"] != "fans" {
		t.Errorf("search=club: got %v, want fans", items)
	}
	if res := e.Do(t, "GET", "/v1/communities?search="+strings.Repeat("x", 101), nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a search too long: got %d %s, want 422", res.Status, res.Raw)
	}
}

func TestMemberSearch(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "fans", "name": "Fan Club"})
	e.Must(t, http.StatusCreated, "PUT", "/v1/communities/fans/members/alice", map[string]any{"displayName": "Alice Liddell"})
	e.Must(t, http.StatusCreated, "PUT", "/v1/communities/fans/members/bob", nil)
	if items := e.Must(t, http.StatusOK, "GET", "/v1/communities/fans/members?search=LIDD", nil).Items(); len(items) != 1 || items[0]["userId"] != "alice" {
		t.Errorf("search=LIDD: got %v, want alice", items)
	}
	if res := e.Do(t, "GET", "/v1/communities/fans/members?search="+strings.Repeat("x", 101), nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a search too long: got %d %s, want 422", res.Status, res.Raw)
	}
}

func TestAuditTimeRange(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "fans", "name": "Fan Club"})
	if items := e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=fans&since=2000-01-01T00:00:00Z", nil).Items(); len(items) == 0 {
		t.Errorf("since 2000: got no events, want fans' creation")
	}
	if items := e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=fans&since=2099-01-01T00:00:00Z", nil).Items(); len(items) != 0 {
		t.Errorf("since 2099: got %d events, want none", len(items))
	}
	if items := e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=fans&until=2000-01-01T00:00:00Z", nil).Items(); len(items) != 0 {
		t.Errorf("until 2000: got %d events, want none", len(items))
	}
	if res := e.Do(t, "GET", "/v1/audit?since=yesterday", nil); res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
		t.Errorf("since=yesterday: got %d %s, want a refusal", res.Status, res.Raw)
	}
}

// The ids "." and "..", which a URL cannot carry as a path segment, are
// refused; others of dots are ids like any.
func TestDotIDs(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	for _, id := range []string{".", ".."} {
		if res := e.Do(t, "POST", "/v1/communities", map[string]any{"id": id, "name": "Dots"}); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("a community %q: got %d %s, want 422", id, res.Status, res.Raw)
		}
	}
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "...", "name": "Three dots"})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": ".a", "name": "Dot a"})
}
