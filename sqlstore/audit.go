package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	after, err := pg.afterInt()
	if err != nil {
		return nil, "", err
	}
	actor := roster.ActorFrom(ctx)
	if actor.CommunityID != "" {
		// A restricted key sees its community's events, and only those.
		if f.PlatformOnly {
			return nil, "", actor.Reach(roster.Platform)
		}
		if f.CommunityID != "" {
			if err := actor.Reach(f.CommunityID); err != nil {
				return nil, "", err
			}
		}
		f.CommunityID = actor.CommunityID
	}
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	scope := roster.Platform
	if f.CommunityID != "" {
		scope = f.CommunityID
	}
	owner, err := scopeOwner(ctx, tx, scope)
	if err != nil && roster.ErrorCode(err) != roster.ECOMMUNITYNOTFOUND {
		return nil, "", err
	}
	if actor.IsUser() {
		if err != nil {
			return nil, "", err
		}
		s, err := subjectOf(ctx, tx, scope, owner, actor, db.now())
		if err != nil {
			return nil, "", err
		}
		if err := authz.Require(s, roster.PermViewAuditLog); err != nil {
			return nil, "", err
		}
	}
	var where []string
	var args []any
	if f.CommunityID != "" || f.PlatformOnly {
		where, args = append(where, "scope = ?"), append(args, scope)
	}
	if f.Actor != "" {
		where, args = append(where, "(actor_key = ? OR actor_user = ?)"), append(args, f.Actor, f.Actor)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Target != "" {
		where, args = append(where, "target_id = ?"), append(args, f.Target)
	}
	order, past := "ASC", "revision > ?"
	if f.Newest {
		order, past = "DESC", "revision < ?"
	}
	if after >= 0 {
		where, args = append(where, past), append(args, after)
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	events, err := queryEvents(ctx, tx, query+" ORDER BY revision "+order+" LIMIT ?", append(args, pg.fetch())...)
	if err != nil {
		return nil, "", err
	}
	events, next := paginate(pg, events, func(e roster.Event) string { return strconv.FormatInt(int64(e.Revision), 10) })
	return events, next, nil
}

const eventColumns = `revision, at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after`

// queryEvents runs a query of the event columns.
func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]roster.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit: %w", err)
	}
	defer rows.Close()
	events := []roster.Event{}
	for rows.Next() {
		var e roster.Event
		var at int64
		var scope string
		var before, after sql.NullString
		if err := rows.Scan(&e.Revision, &at, &e.Actor.KeyID, &e.Actor.UserID, &e.RequestID, &scope, &e.Action, &e.TargetType, &e.TargetID, &before, &after); err != nil {
			return nil, fmt.Errorf("sqlstore: audit: %w", err)
		}
		e.At, e.CommunityID = fromMicros(at), roster.ScopeRef(scope)
		e.Before, e.After = rawOrNull(before), rawOrNull(after)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: audit: %w", err)
	}
	return events, nil
}

func rawOrNull(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return json.RawMessage("null")
	}
	return json.RawMessage(s.String)
}
