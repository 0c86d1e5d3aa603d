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
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	after, err := pg.afterInt()
	if err != nil {
		return nil, "", err
	}
	var events []roster.Event
	var next string
	err = db.readEvents(ctx, &f, func(tx sqlTx) error {
		list, err := queryEvents(ctx, tx, eventQuery(f, after, pg.fetch()))
		events, next = paginate(pg, list, func(e roster.Event) string { return strconv.FormatInt(int64(e.Revision), 10) })
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return events, next, nil
}

// FollowEvents reads the events after a revision for a follower.
func (db *DB) FollowEvents(ctx context.Context, f roster.EventFilter, after roster.Revision, limit int) ([]roster.Event, roster.EventFilter, error) {
	f.Newest = false
	if err := (roster.Page{Limit: limit}).Check(); err != nil {
		return nil, f, err
	}
	var events []roster.Event
	var read func(tx sqlTx) error
	if limit > 0 {
		read = func(tx sqlTx) error {
			var err error
			events, err = queryEvents(ctx, tx, eventQuery(f, max(int64(after), 0), limit))
			return err
		}
	}
	err := db.readEvents(ctx, &f, read)
	if err != nil {
		return nil, f, err
	}
	return events, f, nil
}

// readEvents checks the filter, narrows it to what the actor reads by and
// decides whether the actor may read it; then runs read, when not nil, in
// the same transaction.
func (db *DB) readEvents(ctx context.Context, f *roster.EventFilter, read func(tx sqlTx) error) error {
	if err := f.Clean(); err != nil {
		return err
	}
	actor := roster.ActorFrom(ctx)
	narrowed, err := authz.AuditScope(actor, *f)
	if err != nil {
		return err
	}
	*f = narrowed
	if read == nil && !actor.IsUser() {
		// A key's standing is its scope, which it was admitted by: the
		// database holds no fact of the decision.
		return authz.ReadAudit(authz.ReadAuditFacts{Actor: authz.Key, Community: f.CommunityID})
	}
	return db.view(ctx, func(tx sqlTx) error {
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
		if read == nil {
			return nil
		}
		return read(tx)
	})
}

// query is a statement and its arguments.
type query struct {
	text string
	args []any
}

// eventQuery selects at most limit events of the filter, oldest first (or
// newest first), after the revision when it is not negative.
func eventQuery(f roster.EventFilter, after int64, limit int) query {
	var where []string
	args := []any{limit}
	cond := func(c string, v ...any) {
		for _, v := range v {
			args = append(args, v)
			c = strings.Replace(c, "$?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, c)
	}
	if f.CommunityID != "" {
		cond("scope = $?", f.CommunityID)
	} else if f.PlatformOnly {
		cond("scope = $?", roster.Platform)
	}
	if f.Actor != "" {
		cond("(actor_key = $? OR actor_user = $?)", f.Actor, f.Actor)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok {
		// Every action that begins with "prefix.": those from it up to,
		// not including, "prefix/", '/' following '.' in byte order.
		cond("action >= $? AND action < $?", prefix+".", prefix+"/")
	} else if f.Action != "" {
		cond("action = $?", f.Action)
	}
	if f.Target != "" {
		cond("target_id = $?", f.Target)
	}
	if !f.Since.IsZero() {
		cond("at >= $?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at < $?", micros(f.Until))
	}
	order, past := "ASC", "revision > $?"
	if f.Newest {
		order, past = "DESC", "revision < $?"
	}
	if after >= 0 {
		cond(past, after)
	}
	text := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	return query{text + " ORDER BY revision " + order + " LIMIT $1", args}
}

const eventColumns = `revision, at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after`

// queryEvents runs a query of the event columns.
func queryEvents(ctx context.Context, q querier, qu query) ([]roster.Event, error) {
	return collect(ctx, q, "audit", qu.text, qu.args, func(s scanner) (roster.Event, error) {
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
