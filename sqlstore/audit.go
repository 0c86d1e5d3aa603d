package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// CurrentRevision returns the revision of the newest event.
func (db *DB) CurrentRevision(ctx context.Context) (roster.Revision, error) {
	return currentRevision(ctx, db.read)
}

// ListEvents reads the audit log.
func (db *DB) ListEvents(ctx context.Context, f roster.EventFilter, p roster.Page) ([]roster.Event, string, error) {
	if err := f.Clean(); err != nil {
		return nil, "", err
	}
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	after, err := pg.afterInt()
	if err != nil {
		return nil, "", err
	}
	actor := roster.ActorFrom(ctx)
	if f, err = authz.AuditScope(actor, f); err != nil {
		return nil, "", err
	}
	var events []roster.Event
	var next string
	err = db.view(ctx, func(tx sqlTx) error {
		scope := roster.Platform
		if f.CommunityID != "" {
			scope = f.CommunityID
		}
		owner, err := scopeOwner(ctx, tx, scope)
		gone := roster.ErrorCode(err) == roster.ECOMMUNITYNOTFOUND
		if err != nil && !gone {
			return err
		}
		s, err := subjectOf(ctx, tx, scope, owner, actor, db.now())
		if err != nil {
			return err
		}
		if err := authz.ReadAudit(authz.ReadAuditFacts{Actor: s, Community: f.CommunityID, Gone: gone}); err != nil {
			return err
		}
		var where []string
		args := []any{pg.fetch()}
		cond := func(c string, v any) {
			args = append(args, v)
			where = append(where, strings.ReplaceAll(c, "$", "$"+strconv.Itoa(len(args))))
		}
		if f.CommunityID != "" || f.PlatformOnly {
			cond("scope = $", scope)
		}
		if f.Actor != "" {
			cond("(actor_key = $ OR actor_user = $)", f.Actor)
		}
		if f.Action != "" {
			cond("action = $", f.Action)
		}
		if f.Target != "" {
			cond("target_id = $", f.Target)
		}
		order, past := "ASC", "revision > $"
		if f.Newest {
			order, past = "DESC", "revision < $"
		}
		if after >= 0 {
			cond(past, after)
		}
		query := `SELECT ` + eventColumns + ` FROM audit_events`
		if len(where) > 0 {
			query += " WHERE " + strings.Join(where, " AND ")
		}
		list, err := queryEvents(ctx, tx, query+" ORDER BY revision "+order+" LIMIT $1", args...)
		if err != nil {
			return err
		}
		events, next = paginate(pg, list, func(e roster.Event) string { return strconv.FormatInt(int64(e.Revision), 10) })
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return events, next, nil
}

const eventColumns = `revision, at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after`

// queryEvents runs a query of the event columns.
func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]roster.Event, error) {
	return collect(ctx, q, "audit", query, args, func(s scanner) (roster.Event, error) {
		var e roster.Event
		var at int64
		var scope string
		var before, after sql.NullString
		err := s.Scan(&e.Revision, &at, &e.Actor.KeyID, &e.Actor.UserID, &e.RequestID, &scope, &e.Action, &e.TargetType, &e.TargetID, &before, &after)
		e.At, e.CommunityID = fromMicros(at), roster.ScopeRef(scope)
		e.Before, e.After = rawOrNull(before), rawOrNull(after)
		return e, err
	})
}

func rawOrNull(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return json.RawMessage("null")
	}
	return json.RawMessage(s.String)
}
