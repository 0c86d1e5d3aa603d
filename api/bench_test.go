package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// BenchmarkBatchAdd100x100 adds 100 roles to 100 members in one request,
// through the API of a server whose index follows every commit; the same
// request removing them again is not timed.
func BenchmarkBatchAdd100x100(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			e := MustEnv(b, eng)
			users := make([]string, 100)
			for i := range users {
				users[i] = fmt.Sprintf("u%03d", i)
			}
			e.MustCommunity(b, "c", "", users...)
			roles := make([]string, 100)
			for i := range roles {
				roles[i] = e.MustRole(b, "c", fmt.Sprintf("role %d", i), "MUTE_MEMBERS")
			}
			body := map[string]any{"userIds": users, "roleIds": roles}
			for b.Loop() {
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-add", body)
				b.StopTimer()
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-remove", body)
				b.StartTimer()
			}
		})
	}
}
