package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
)

// The delivery state of webhooks is written by the deliverers, outside the
// change log: it changes with every delivery, and is no change of the
// authorization state.

// keptAttempts is how many attempts an endpoint's list keeps.
const keptAttempts = 1000

const attemptColumns = `id, delivery_id, revision, action, attempt, at, status, latency_ms, outcome, error, response, next_at`

func scanAttempt(s scanner) (roster.DeliveryAttempt, error) {
	var a roster.DeliveryAttempt
	var at int64
	var next sql.NullInt64
	err := s.Scan(&a.ID, &a.DeliveryID, &a.Revision, &a.Action, &a.Attempt, &at, &a.Status, &a.LatencyMS, &a.Outcome, &a.Error, &a.Response, &next)
	a.At, a.NextAt = fromMicros(at), timePtr(next)
	return a, err
}

// ListDeliveries returns an endpoint's attempts, newest first.
func (db *DB) ListDeliveries(ctx context.Context, id string, p roster.Page) ([]roster.DeliveryAttempt, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	var list []roster.DeliveryAttempt
	err = db.view(ctx, func(tx sqlTx) error {
		if _, err := webhook(ctx, tx, id, db.now()); err != nil {
			return err
		}
		where, args := `webhook_id = $1`, []any{id, pg.fetch()}
		if pg.after != "" {
			where, args = where+` AND id < $3`, append(args, pg.after)
		}
		list, err = collect(ctx, tx, "attempts", `SELECT `+attemptColumns+` FROM webhook_attempts WHERE `+where+` ORDER BY id DESC LIMIT $2`, args, scanAttempt)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := paginate(pg, list, func(a roster.DeliveryAttempt) string { return a.ID })
	return list, next, nil
}

// LeaseWebhooks takes or renews the leases of the enabled endpoints.
func (db *DB) LeaseWebhooks(ctx context.Context, owner string, until time.Time) ([]roster.Endpoint, error) {
	now := db.now()
	if _, err := db.write.ExecContext(ctx, `UPDATE webhooks SET lease_owner = $1, lease_until = $2
		WHERE enabled AND (lease_owner = $1 OR lease_owner = '' OR lease_until < $3)`, owner, micros(until), micros(now)); err != nil {
		return nil, fmt.Errorf("sqlstore: leasing webhooks: %w", err)
	}
	eps, sealedElsewhere, err := db.endpoints(ctx, `enabled AND lease_owner = $1`, owner)
	for _, id := range sealedElsewhere {
		// Another replica, holding the same key as the one that sealed it,
		// can deliver it: this one lets it go.
		slog.Error("sqlstore: a webhook's secret cannot be opened here; leaving it to a replica with the right --secrets-key-file",
			"webhook", id, "err", errSealedElsewhere)
		if err := db.ReleaseWebhook(ctx, owner, id); err != nil {
			return nil, err
		}
	}
	return eps, err
}

// WebhookEndpoint returns one endpoint with its secrets.
func (db *DB) WebhookEndpoint(ctx context.Context, id string) (roster.Endpoint, error) {
	eps, sealedElsewhere, err := db.endpoints(ctx, `id = $1`, id)
	switch {
	case err != nil:
	case len(sealedElsewhere) > 0:
		err = fmt.Errorf("sqlstore: webhook %s: %w", id, errSealedElsewhere)
	case len(eps) == 0:
		err = roster.Errorf(roster.EWEBHOOKNOTFOUND, "webhook %s not found", id)
	}
	if err != nil {
		return roster.Endpoint{}, err
	}
	return eps[0], nil
}

// endpoints reads the endpoints where holds, with their secrets unsealed,
// and the ids of those whose secret another key sealed.
func (db *DB) endpoints(ctx context.Context, where string, arg any) ([]roster.Endpoint, []string, error) {
	now := db.now()
	type sealed struct {
		w        roster.Webhook
		secret   string
		old      sql.NullString
		oldUntil sql.NullInt64
	}
	rows, err := collect(ctx, db.read, "webhooks", `SELECT `+webhookColumns+`, secret, old_secret, old_secret_until FROM webhooks
		WHERE `+where+` ORDER BY id`, []any{arg}, func(s scanner) (sealed, error) {
		var r sealed
		var err error
		r.w, err = scanWebhook(scanTail{s, []any{&r.secret, &r.old, &r.oldUntil}})
		return r, err
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]roster.Endpoint, 0, len(rows))
	var sealedElsewhere []string
	for _, r := range rows {
		e := roster.Endpoint{Webhook: r.w}
		secret, err := db.secrets.open(r.secret)
		if err != nil {
			sealedElsewhere = append(sealedElsewhere, r.w.ID)
			continue
		}
		e.Secrets = []string{secret}
		if r.old.Valid && r.oldUntil.Int64 > micros(now) {
			if old, err := db.secrets.open(r.old.String); err == nil {
				e.Secrets = append(e.Secrets, old)
			}
		}
		out = append(out, e)
	}
	return out, sealedElsewhere, nil
}

// scanTail scans the columns of a scanner's first function, then tail.
type scanTail struct {
	s    scanner
	tail []any
}

func (t scanTail) Scan(dest ...any) error { return t.s.Scan(append(dest, t.tail...)...) }

// RecordDeliveries records attempts and moves an endpoint's cursor.
func (db *DB) RecordDeliveries(ctx context.Context, owner, id string, through roster.Revision, failingSince *time.Time, attempts []roster.DeliveryAttempt) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: recording deliveries: %w", err)
	}
	defer tx.Rollback()
	if owner != "" {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET delivered_through = CASE WHEN CAST($3 AS BIGINT) > 0 THEN CAST($3 AS BIGINT) ELSE delivered_through END,
			failing_since = $4 WHERE id = $1 AND lease_owner = $2`, id, owner, int64(through), nullMicros(failingSince))
		if err != nil {
			return fmt.Errorf("sqlstore: recording deliveries: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return roster.Errorf(roster.ELEASELOST, "webhook %s is delivered by another replica now, or is gone", id)
		}
	}
	for i := 0; i < len(attempts); i += 100 {
		chunk := attempts[i:min(i+100, len(attempts))]
		var values []string
		var args []any
		for _, a := range chunk {
			n := len(args)
			values = append(values, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13))
			args = append(args, xid.NewWithTime(a.At).String(), a.DeliveryID, int64(a.Revision), a.Action, a.Attempt, micros(a.At), a.Status,
				a.LatencyMS, a.Outcome, a.Error, a.Response, nullMicros(a.NextAt), id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (`+attemptColumns+`, webhook_id) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("sqlstore: recording deliveries: %w", err)
		}
	}
	if len(attempts) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE webhook_id = $1 AND id <
			(SELECT id FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`, id, keptAttempts); err != nil {
			return fmt.Errorf("sqlstore: pruning attempts: %w", err)
		}
	}
	return tx.Commit()
}

// ReleaseWebhook gives up a lease.
func (db *DB) ReleaseWebhook(ctx context.Context, owner, id string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE webhooks SET lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`, id, owner)
	return err
}
