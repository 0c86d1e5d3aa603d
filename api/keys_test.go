package api_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestRevokeUnderLoad revokes a key while requests with it run on four
// connections, the key cache filling all along (the test's clock does not
// move, so no cached key times out): every request sent after the
// revocation answered is refused.
func TestRevokeUnderLoad(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		victim := mustKeyRecord(t, e, map[string]any{"name": "victim", "scopes": []string{"read"}})
		var revoked atomic.Bool
		var before, after, lateOK atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				client := &http.Client{Transport: &http.Transport{}}
				for {
					select {
					case <-stop:
						return
					default:
					}
					sentAfter := revoked.Load()
					req, _ := http.NewRequest(http.MethodGet, e.URL+"/v1/communities", nil)
					req.Header.Set("Authorization", "Bearer "+victim.Str("secret"))
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					switch {
					case !sentAfter && resp.StatusCode == http.StatusOK:
						before.Add(1)
					case sentAfter && resp.StatusCode == http.StatusUnauthorized:
						after.Add(1)
					case sentAfter:
						lateOK.Add(1)
						t.Errorf("a request sent after the revocation answered %d", resp.StatusCode)
					}
				}
			})
		}
		waitFor := func(what string, done func() bool) {
			for deadline := time.Now().Add(20 * time.Second); !done(); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Errorf("%s: gave up after 20 s", what)
					return
				}
			}
		}
		waitFor("50 requests before the revocation", func() bool { return before.Load() >= 50 })
		e.Must(t, http.StatusNoContent, "DELETE", "/v1/api-keys/"+victim.Str("id"), nil)
		revoked.Store(true)
		waitFor("50 refusals after it", func() bool { return after.Load() >= 50 || lateOK.Load() > 0 })
		close(stop)
		wg.Wait()
	})
}
