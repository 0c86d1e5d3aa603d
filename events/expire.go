package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster"
)

// expireBatch is how many grants one pass of Expire removes at most.
const expireBatch = 500

// Expire removes the grants whose expiry has passed, every interval, until
// ctx ends, so that each becomes one member.role_expired event that
// followers and webhooks receive. A pass that finds a full batch goes on
// at once. Every replica may run it: each grant is removed once.
func Expire(ctx context.Context, store roster.AssignmentService, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := store.ExpireGrants(ctx, expireBatch)
		if err != nil && ctx.Err() == nil {
			log.Error("events: removing expired grants", "err", err)
		}
		if n == expireBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
