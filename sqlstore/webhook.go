package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// Webhooks are written in the platform scope's queue, whatever their own
// scope: a community's endpoint is created only while the community exists.

const webhookColumns = `id, scope, url, events, description, enabled, disabled_reason, delivered_through, failing_since, created_at, updated_at`

func scanWebhook(s scanner) (roster.Webhook, error) {
	var w roster.Webhook
	var scope, events string
	var failing sql.NullInt64
	var created, updated int64
	err := s.Scan(&w.ID, &scope, &w.URL, &events, &w.Description, &w.Enabled, &w.DisabledReason, &w.DeliveredThrough, &failing, &created, &updated)
	if err != nil {
		return w, err
	}
	w.CommunityID = roster.ScopeRef(scope)
	w.FailingSince, w.CreatedAt, w.UpdatedAt = timePtr(failing), fromMicros(created), fromMicros(updated)
	return w, json.Unmarshal([]byte(events), &w.Events)
}

// webhookSecretRotation is how long a rotated secret still signs.
const webhookSecretRotation = 24 * time.Hour

// newWebhookSecret returns a signing key as the Standard Webhooks
// specification writes one: whsec_ and 24 random bytes in base64.
func newWebhookSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// webhookFacts gathers the facts of managing an endpoint of scope.
func webhookFacts(ctx context.Context, tx querier, scope string, now time.Time) (authz.WebhookFacts, error) {
	actor := roster.ActorFrom(ctx)
	f := authz.WebhookFacts{Scope: scope, Key: actor}
	if err := authz.Reach(actor, scope); err != nil {
		return f, nil // decided by Reach alone
	}
	owner, err := scopeOwner(ctx, tx, scope)
	if err != nil {
		return f, err
	}
	f.Actor, err = subjectOf(ctx, tx, scope, owner, actor, now)
	return f, err
}

// CreateWebhook creates an endpoint.
func (db *DB) CreateWebhook(ctx context.Context, w roster.Webhook) (roster.Webhook, roster.Revision, error) {
	if err := w.Clean(); err != nil {
		return w, 0, err
	}
	scope, err := authz.WebhookScope(roster.ActorFrom(ctx), w.CommunityID)
	if err != nil {
		return w, 0, err
	}
	w.CommunityID = roster.ScopeRef(scope)
	var created roster.Webhook
	rev, err := db.update(ctx, roster.Platform, func(tx *Tx) error {
		f, err := webhookFacts(ctx, tx, scope, tx.now)
		if err != nil {
			return err
		}
		f.Creating = true
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE scope = $1`, scope).Scan(&f.Count); err != nil {
			return err
		}
		if err := authz.ManageWebhook(f); err != nil {
			return err
		}
		through, err := currentRevision(ctx, tx)
		if err != nil {
			return err
		}
		secret := newWebhookSecret()
		created = w
		created.ID, created.DeliveredThrough = xid.New().String(), through
		created.CreatedAt, created.UpdatedAt = tx.now, tx.now
		events, _ := json.Marshal(w.Events)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, scope, url, events, description, enabled, secret, delivered_through, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
			created.ID, scope, w.URL, string(events), w.Description, w.Enabled, db.secrets.seal(secret), through, micros(tx.now)); err != nil {
			return fmt.Errorf("sqlstore: create webhook: %w", err)
		}
		if err := tx.event(scope, roster.ActionWebhookCreated, roster.TargetWebhook, created.ID, nil, created.Redacted()); err != nil {
			return err
		}
		created.Secret = secret
		return nil
	}, nonPlatform(scope)...)
	if err != nil {
		return w, 0, err
	}
	return created, rev, nil
}

// nonPlatform returns the scope in a list unless it is the platform's.
func nonPlatform(scope string) []string {
	if scope == roster.Platform {
		return nil
	}
	return []string{scope}
}

// ListWebhooks returns the endpoints the actor manages.
func (db *DB) ListWebhooks(ctx context.Context, p roster.Page) ([]roster.Webhook, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	actor := roster.ActorFrom(ctx)
	var list []roster.Webhook
	err = db.view(ctx, func(tx sqlTx) error {
		scope := authz.Reachable(actor)
		f, err := webhookFacts(ctx, tx, scope, db.now())
		if err != nil {
			return err
		}
		if err := authz.ManageWebhook(f); err != nil {
			return err
		}
		where, args := `id > $1`, []any{pg.after, pg.fetch()}
		if scope != roster.Platform {
			where, args = where+` AND scope = $3`, append(args, scope)
		}
		list, err = collect(ctx, tx, "webhooks", `SELECT `+webhookColumns+` FROM webhooks WHERE `+where+` ORDER BY id LIMIT $2`, args, scanWebhook)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := paginate(pg, list, func(w roster.Webhook) string { return w.ID })
	return list, next, nil
}

// webhook reads an endpoint the actor manages.
func webhook(ctx context.Context, tx querier, id string, now time.Time) (roster.Webhook, error) {
	w, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if err != nil {
		return w, notFound(err, roster.EWEBHOOKNOTFOUND, "webhook %s not found", id)
	}
	scope := scopeID(w.CommunityID)
	f, err := webhookFacts(ctx, tx, scope, now)
	if err != nil {
		return w, err
	}
	return w, authz.ManageWebhook(f)
}

func scopeID(community *string) string {
	if community == nil {
		return roster.Platform
	}
	return *community
}

// GetWebhook returns an endpoint.
func (db *DB) GetWebhook(ctx context.Context, id string) (roster.Webhook, error) {
	var w roster.Webhook
	err := db.view(ctx, func(tx sqlTx) error {
		var err error
		w, err = webhook(ctx, tx, id, db.now())
		return err
	})
	return w, err
}

// UpdateWebhook changes an endpoint.
func (db *DB) UpdateWebhook(ctx context.Context, id string, u roster.WebhookUpdate) (roster.Webhook, roster.Revision, error) {
	if err := u.Clean(); err != nil {
		return roster.Webhook{}, 0, err
	}
	var after roster.Webhook
	rev, err := db.update(ctx, roster.Platform, func(tx *Tx) error {
		before, err := webhook(ctx, tx, id, tx.now)
		if err != nil {
			return err
		}
		after = before
		if u.URL != nil {
			after.URL = *u.URL
		}
		if u.Events != nil {
			after.Events = *u.Events
		}
		if u.Description != nil {
			after.Description = *u.Description
		}
		if u.Enabled != nil {
			after.Enabled, after.DisabledReason = *u.Enabled, ""
			if !after.Enabled {
				after.DisabledReason = u.DisabledReason
			} else if !before.Enabled {
				after.FailingSince = nil // enabled again: its failure starts over
			}
		}
		after.UpdatedAt = tx.now
		events, _ := json.Marshal(after.Events)
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = $2, events = $3, description = $4, enabled = $5, disabled_reason = $6,
			failing_since = $7, updated_at = $8 WHERE id = $1`,
			id, after.URL, string(events), after.Description, after.Enabled, after.DisabledReason, nullMicros(after.FailingSince), micros(tx.now)); err != nil {
			return fmt.Errorf("sqlstore: update webhook: %w", err)
		}
		return tx.event(scopeID(after.CommunityID), roster.ActionWebhookUpdated, roster.TargetWebhook, id, before.Redacted(), after.Redacted())
	})
	if err != nil {
		return roster.Webhook{}, 0, err
	}
	return after, rev, nil
}

// DeleteWebhook deletes an endpoint.
func (db *DB) DeleteWebhook(ctx context.Context, id string) (roster.Revision, error) {
	return db.update(ctx, roster.Platform, func(tx *Tx) error {
		w, err := webhook(ctx, tx, id, tx.now)
		if err != nil {
			return err
		}
		return tx.deleteWebhooks(w)
	})
}

// deleteWebhooksOf deletes the endpoints of a community being deleted: a
// community made later with the same id is not theirs.
func (tx *Tx) deleteWebhooksOf(community string) error {
	list, err := collect(tx.ctx, tx, "webhooks", `SELECT `+webhookColumns+` FROM webhooks WHERE scope = $1`, []any{community}, scanWebhook)
	if err != nil {
		return err
	}
	return tx.deleteWebhooks(list...)
}

// deleteWebhooks deletes endpoints and their attempts, with an event each.
func (tx *Tx) deleteWebhooks(list ...roster.Webhook) error {
	for _, w := range list {
		for _, stmt := range []string{`DELETE FROM webhook_attempts WHERE webhook_id = $1`, `DELETE FROM webhooks WHERE id = $1`} {
			if _, err := tx.ExecContext(tx.ctx, stmt, w.ID); err != nil {
				return fmt.Errorf("sqlstore: delete webhook: %w", err)
			}
		}
		if err := tx.event(scopeID(w.CommunityID), roster.ActionWebhookDeleted, roster.TargetWebhook, w.ID, w.Redacted(), nil); err != nil {
			return err
		}
	}
	return nil
}

// RotateWebhookSecret gives an endpoint a new secret.
func (db *DB) RotateWebhookSecret(ctx context.Context, id string) (roster.Webhook, roster.Revision, error) {
	var w roster.Webhook
	rev, err := db.update(ctx, roster.Platform, func(tx *Tx) error {
		var err error
		if w, err = webhook(ctx, tx, id, tx.now); err != nil {
			return err
		}
		secret := newWebhookSecret()
		w.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET old_secret = secret, old_secret_until = $2, secret = $3, updated_at = $4 WHERE id = $1`,
			id, micros(tx.now.Add(webhookSecretRotation)), db.secrets.seal(secret), micros(tx.now)); err != nil {
			return err
		}
		if err := tx.event(scopeID(w.CommunityID), roster.ActionWebhookSecretRotated, roster.TargetWebhook, id, nil, w.Redacted()); err != nil {
			return err
		}
		w.Secret = secret
		return nil
	})
	if err != nil {
		return roster.Webhook{}, 0, err
	}
	return w, rev, nil
}
