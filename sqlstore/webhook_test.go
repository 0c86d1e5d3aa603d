package sqlstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestWebhookLeases has two stores on one database, as two replicas,
// sealing with different keys: the one that cannot open an endpoint's
// secret lets it go, and the other delivers it; a cursor takes a revision
// past 2³¹.
func TestWebhookLeases(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		dsn := eng.DSN(t)
		ctx := roster.NewContext(context.Background(), roster.SystemActor)
		open := func(key byte) *sqlstore.DB {
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{SecretsKey: bytes.Repeat([]byte{key}, 32)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		a, b := open(1), open(2)
		w, _, err := a.CreateWebhook(ctx, roster.Webhook{URL: "https://hooks.example.com/x", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(time.Minute)
		if eps, err := b.LeaseWebhooks(ctx, "b", until); err != nil || len(eps) != 0 {
			t.Fatalf("a replica with another secrets key: got %d endpoints, %v; want none and no error", len(eps), err)
		}
		eps, err := a.LeaseWebhooks(ctx, "a", until)
		if err != nil || len(eps) != 1 || eps[0].Secrets[0] != w.Secret {
			t.Fatalf("the replica with the key: got %+v, %v; want the endpoint with its secret", eps, err)
		}
		if err := a.RecordDeliveries(ctx, "a", w.ID, 3_000_000_000, nil, nil); err != nil {
			t.Fatalf("a cursor past 2³¹: %v", err)
		}
		if err := b.RecordDeliveries(ctx, "b", w.ID, 5, nil, nil); roster.ErrorCode(err) != roster.ELEASELOST {
			t.Errorf("recording without the lease: got %v, want %s", err, roster.ELEASELOST)
		}
		if got, err := a.GetWebhook(ctx, w.ID); err != nil || got.DeliveredThrough != 3_000_000_000 {
			t.Errorf("the cursor: got %d, %v; want 3000000000", got.DeliveredThrough, err)
		}
	})
}
