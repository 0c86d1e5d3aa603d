package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/metrics"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// BenchmarkHTTPCheckMetrics answers the same single check on the lean
// path from two servers over one service, one with metrics and one
// without, in turns of 256 requests: ns/op of each, and with-metrics as a
// multiple of without (x-without).
func BenchmarkHTTPCheckMetrics(b *testing.B) {
	ctx := context.Background()
	db := sqltest.SQLite.Open(b, sqlstore.Options{})
	key, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	sys := roster.NewContext(ctx, roster.SystemActor)
	if _, _, err := db.CreateCommunity(sys, roster.Community{ID: "c", Name: "c"}); err != nil {
		b.Fatal(err)
	}
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	if _, _, err := db.AddMembers(sys, "c", users); err != nil {
		b.Fatal(err)
	}
	mod, _, err := db.CreateRole(sys, "c", roster.Role{Name: "mod", Permissions: []string{roster.PermBanMembers}})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.AddRoles(sys, roster.Change{Scope: "c", UserIDs: users[:50], RoleIDs: []string{mod.ID}}); err != nil {
		b.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	svc := index.NewService(db, ix)
	quiet := slog.New(slog.DiscardHandler)
	plain := api.New(svc, api.Options{Log: quiet})
	measured := api.New(svc, api.Options{Log: quiet, Metrics: metrics.New(metrics.Sources{})})
	req := newRequest("/v1/check", `{"communityId":"c","userId":"u007","permission":"BAN_MEMBERS"}`, key)
	w := &discardWriter{header: http.Header{}}
	for _, h := range []http.Handler{plain, measured} {
		serve(w, h, req)
		if w.status != http.StatusOK {
			b.Fatalf("got %d %s", w.status, w.body)
		}
	}
	turn := func(h http.Handler) time.Duration {
		start := time.Now()
		for range 256 {
			serve(w, h, req)
		}
		return time.Since(start)
	}
	var without, with time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		without += turn(plain)
		with += turn(measured)
		n += 256
	}
	b.ReportMetric(float64(without.Nanoseconds())/float64(n), "ns/check-without")
	b.ReportMetric(float64(with.Nanoseconds())/float64(n), "ns/check-with")
	b.ReportMetric(float64(with)/float64(without), "x-without")
}
