package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestFastChecksAnswerAsOperations sends each check twice: as application/json,
// which the lean check path answers, and as application/vnd.roster+json,
// which it leaves to the documented operation; the answers must match, and
// each must have come from the path it was sent to (or, for bodies the lean
// path does not read, both from the operation).
func TestFastChecksAnswerAsOperations(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "c1", "owner", "alice", "bob")
		mod := e.MustRole(t, "c1", "mod", "BAN_MEMBERS")
		e.Must(t, http.StatusOK, "PUT", "/v1/communities/c1/members/alice/roles/"+mod, nil)
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/c1/channels/news", nil)
		e.Must(t, http.StatusOK, "PUT", "/v1/communities/c1/channels/news/overwrites/roles/everyone", map[string]any{"deny": []string{"SEND_MESSAGES"}})
		restricted := e.MustKey(t, map[string]any{"name": "c2 only", "scopes": []string{"check"}, "communityId": "c1"})
		e.MustCommunity(t, "c2", "")
		rev := e.Revision(t)

		var lean atomic.Int64
		api.OnLeanCheck(e.Server, func() { lean.Add(1) })
		cases := []struct {
			name, path string
			body       map[string]any
			key        string
			status     int
		}{
			{"allowed", "/v1/check", map[string]any{"communityId": "c1", "userId": "alice", "permission": "BAN_MEMBERS"}, "", 200},
			{"denied", "/v1/check", map[string]any{"communityId": "c1", "userId": "bob", "permission": "BAN_MEMBERS"}, "", 200},
			{"channel", "/v1/check", map[string]any{"communityId": "c1", "channelId": "news", "userId": "bob", "permission": "SEND_MESSAGES"}, "", 200},
			{"platform", "/v1/check", map[string]any{"userId": "bob", "permission": "CREATE_COMMUNITY"}, "", 200},
			{"min revision", "/v1/check", map[string]any{"communityId": "c1", "userId": "owner", "permission": "VIEW_AUDIT_LOG", "minRevision": rev}, "", 200},
			{"unknown community", "/v1/check", map[string]any{"communityId": "nope", "userId": "bob", "permission": "BAN_MEMBERS"}, "", 404},
			{"unknown channel", "/v1/check", map[string]any{"communityId": "c1", "channelId": "nope", "userId": "bob", "permission": "BAN_MEMBERS"}, "", 404},
			{"unregistered permission", "/v1/check", map[string]any{"communityId": "c1", "userId": "bob", "permission": "NO_SUCH_KEY"}, "", 422},
			{"empty community", "/v1/check", map[string]any{"communityId": "", "userId": "bob", "permission": "SEND_MESSAGES"}, "", 422},
			{"malformed user", "/v1/check", map[string]any{"communityId": "c1", "userId": "bob smith", "permission": "SEND_MESSAGES"}, "", 422},
			{"channel without community", "/v1/check", map[string]any{"channelId": "news", "userId": "bob", "permission": "SEND_MESSAGES"}, "", 422},
			{"restricted key elsewhere", "/v1/check", map[string]any{"communityId": "c2", "userId": "bob", "permission": "BAN_MEMBERS"}, restricted, 404},
			{"batch", "/v1/check/batch", map[string]any{"checks": []map[string]any{
				{"communityId": "c1", "userId": "alice", "permission": "BAN_MEMBERS"},
				{"communityId": "c1", "channelId": "news", "userId": "alice", "permission": "SEND_MESSAGES"},
				{"communityId": "c1", "userId": "owner", "permission": "NO_SUCH_KEY"},
			}}, "", 422},
			{"batch allowed and denied", "/v1/check/batch", map[string]any{"minRevision": rev, "checks": []map[string]any{
				{"communityId": "c1", "userId": "alice", "permission": "BAN_MEMBERS"},
				{"communityId": "c1", "channelId": "news", "userId": "alice", "permission": "SEND_MESSAGES"},
				{"userId": "alice", "permission": "BAN_MEMBERS"},
			}}, "", 200},
		}
		// The lean path leaves these bodies to the operation.
		operation := map[string]bool{"empty community": true, "malformed user": true}
		res := e.Must(t, http.StatusUnprocessableEntity, "GET", "/v1/platform/users/bob/permissions?channelId=news", nil)
		if res.Code() != "validation_failed" || !strings.Contains(string(res.Raw), "query.channelId") {
			t.Errorf("platform permissions in a channel: got %s, want validation_failed at query.channelId", res.Raw)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := lean.Load()
				fast := e.Do(t, "POST", tc.path, tc.body, Req{Key: tc.key})
				if got, want := lean.Load()-before, int64(1); got != want && !operation[tc.name] {
					t.Errorf("lean answers: got %d, want %d (the lean path left the request to the operation)", got, want)
				} else if operation[tc.name] && got != 0 {
					t.Errorf("lean answers: got %d, want 0 (the operation answers this body)", got)
				}
				before = lean.Load()
				slow := e.Do(t, "POST", tc.path, tc.body, Req{Key: tc.key, Header: map[string]string{"Content-Type": "application/vnd.roster+json"}})
				if got := lean.Load() - before; got != 0 {
					t.Errorf("lean answers of the operation's request: got %d, want 0", got)
				}
				if fast.Status != tc.status || slow.Status != tc.status {
					t.Fatalf("status: lean %d, operation %d, want %d: %s / %s", fast.Status, slow.Status, tc.status, fast.Raw, slow.Raw)
				}
				delete(fast.JSON, "requestId")
				delete(slow.JSON, "requestId")
				if !reflect.DeepEqual(fast.JSON, slow.JSON) {
					t.Errorf("lean path answered %s\noperation answered %s", fast.Raw, slow.Raw)
				}
				if got, want := fast.Header.Get("Content-Type"), slow.Header.Get("Content-Type"); got != want {
					t.Errorf("Content-Type: lean %q, operation %q", got, want)
				}
			})
		}
	})
}

// TestLeanCheckBodyCutShort sends check bodies that end before their
// Content-Length: the lean path, which reads the body first, hands what it
// read and the read's failure to the operation, which answers 400 naming
// how much arrived, as for any route; nothing comes from the lean path.
func TestLeanCheckBodyCutShort(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "c1", "", "alice")
	var lean atomic.Int64
	api.OnLeanCheck(e.Server, func() { lean.Add(1) })
	for _, path := range []string{"/v1/check", "/v1/check/batch"} {
		t.Run(path, func(t *testing.T) {
			sent := `{"communityId":"c1","us`
			r := httptest.NewRequest("POST", path, io.MultiReader(strings.NewReader(sent), iotest.ErrReader(io.ErrUnexpectedEOF)))
			r.ContentLength = 60
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+e.Key)
			w := httptest.NewRecorder()
			e.Server.ServeHTTP(w, r)
			want := fmt.Sprintf("ended after %d of the 60 bytes", len(sent))
			if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), want) {
				t.Errorf("got %d %s %s, want 400 problem+json saying %q", w.Code, w.Header().Get("Content-Type"), w.Body, want)
			}
			if n := lean.Load(); n != 0 {
				t.Errorf("lean answers: got %d, want 0", n)
			}
		})
	}
}
