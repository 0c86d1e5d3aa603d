package sqlstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/rosterhq/roster"
)

// eventSteps returns the steps inserting the events of the group's writes,
// in their order, many per statement, and the function returning, once
// they ran, the events as the log holds them, in revision order. On
// PostgreSQL, where groups run concurrently, the log is locked first, and
// stays locked until the commit is visible, so that no group holding a
// lower revision commits after a higher one is visible: a reader of the
// log never skips an event. The same statement queues the notice of the
// new revision, which PostgreSQL delivers at commit; and the commit goes
// in the same round trip.
func (g *group) eventSteps(txs []*Tx) ([]step, func() ([]roster.Event, error)) {
	db := g.db
	var all []owned
	for _, tx := range txs {
		if tx != nil {
			for _, e := range tx.events {
				all = append(all, owned{tx, e})
			}
		}
	}
	var steps []step
	var chunks []*written
	for events := range slices.Chunk(all, db.dialect.maxRows) {
		n := len(events)
		cols := make([][]string, 8)
		for i := range cols {
			cols[i] = make([]string, n)
		}
		befores, afters := make([]*string, n), make([]*string, n)
		for i, o := range events {
			a, e := o.tx.actor, o.e
			for c, v := range []string{strconv.FormatInt(micros(o.tx.now), 10), a.KeyID, a.UserID, a.RequestID, e.scope, e.action, e.targetType, e.targetID} {
				cols[c][i] = v
			}
			befores[i], afters[i] = e.before, e.after
		}
		first, args := 1, []any(nil)
		if db.pg != nil {
			first, args = 4, []any{db.pg.logLock, db.pg.channel, db.pg.origin}
		}
		from, rows := db.dialect.rows(first, n, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], befores, afters)
		query := `INSERT INTO audit_events
			(at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after)
			SELECT CAST(column1 AS BIGINT), column2, column3, column4, column5, column6, column7, column8, column9, column10
			FROM %s WHERE true ORDER BY ord
			RETURNING revision`
		if db.pg != nil {
			// The log's lock is taken before a revision is drawn.
			query = `WITH lock AS (SELECT pg_advisory_xact_lock($1)), ins AS (` + fmt.Sprintf(query, "lock, "+from) + `)
				SELECT ins.revision FROM ins, LATERAL (SELECT pg_notify($2, CAST(MAX(revision) AS TEXT) || ' ' || $3) FROM ins) AS notice`
		} else {
			query = fmt.Sprintf(query, from)
		}
		chunk := &written{}
		chunks = append(chunks, chunk)
		steps = append(steps, rowsOf(&chunk.revs, "audit", query, append(args, rows...), func(s scanner) (roster.Revision, error) {
			var rev roster.Revision
			err := s.Scan(&rev)
			return rev, err
		}))
		chunk.events = events
	}
	return steps, func() ([]roster.Event, error) {
		out := make([]roster.Event, 0, len(all))
		for _, c := range chunks {
			if len(c.revs) != len(c.events) {
				return nil, fmt.Errorf("sqlstore: audit: %d events written, %d revisions returned", len(c.events), len(c.revs))
			}
			// Revisions are given in the order the rows are inserted.
			slices.Sort(c.revs)
			for i, o := range c.events {
				o.tx.rev = max(o.tx.rev, c.revs[i])
				out = append(out, o.logged(c.revs[i]))
			}
		}
		return out, nil
	}
}

// owned is an event and the write that made it.
type owned struct {
	tx *Tx
	e  pendingEvent
}

// logged returns the event as the log holds it at revision rev: as
// queryEvents reads it back.
func (o owned) logged(rev roster.Revision) roster.Event {
	e, a := o.e, o.tx.actor
	text := func(s *string) sql.NullString {
		if s == nil {
			return sql.NullString{}
		}
		return sql.NullString{String: *s, Valid: true}
	}
	return roster.Event{Revision: rev, At: fromMicros(micros(o.tx.now)), Actor: roster.Actor{KeyID: a.KeyID, UserID: a.UserID},
		RequestID: a.RequestID, CommunityID: roster.ScopeRef(e.scope), Action: e.action, TargetType: e.targetType,
		TargetID: e.targetID, Before: rawOrNull(text(e.before)), After: rawOrNull(text(e.after))}
}

// written is one statement of events: its events, and the revisions it
// returned.
type written struct {
	events []owned
	revs   []roster.Revision
}
