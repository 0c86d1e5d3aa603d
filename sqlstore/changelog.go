package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/rosterhq/roster"
)

// hooks are the functions called after each commit that wrote events.
type hooks struct {
	mu  sync.Mutex
	fns []func(roster.Revision, []roster.Event)
}

// OnCommit registers fn to be called after each commit that wrote events;
// on PostgreSQL, also after those of other processes.
func (db *DB) OnCommit(fn func(roster.Revision, []roster.Event)) {
	db.hooks.mu.Lock()
	defer db.hooks.mu.Unlock()
	db.hooks.fns = append(db.hooks.fns, fn)
	if db.pg != nil {
		db.pg.start(db.notified)
	}
}

// committed calls the hooks with a commit's last revision and, for a
// commit of this store, its events.
func (db *DB) committed(rev roster.Revision, events []roster.Event) {
	db.hooks.mu.Lock()
	fns := db.hooks.fns
	db.hooks.mu.Unlock()
	for _, fn := range fns {
		fn(rev, events)
	}
}

// notified calls the hooks with a revision another process committed, or
// 0 when commits may have been missed.
func (db *DB) notified(rev roster.Revision) { db.committed(rev, nil) }

// Changes returns at most limit events after the revision, oldest first.
func (db *DB) Changes(ctx context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	return queryEvents(ctx, db.read, eventQuery(roster.EventFilter{}, int64(after), limit))
}

// LoadState sends sink the state checks depend on, read in one transaction,
// and returns its revision.
func (db *DB) LoadState(ctx context.Context, sink roster.StateSink) (roster.Revision, error) {
	var rev roster.Revision
	err := db.view(ctx, func(tx sqlTx) error {
		var err error
		if rev, err = currentRevision(ctx, tx); err != nil {
			return err
		}
		keys, err := catalog(ctx, tx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			sink.Permission(k)
		}
		err = each(ctx, tx, "load", `SELECT id, owner_id FROM communities ORDER BY id`, nil, func(s scanner) error {
			var c roster.Community
			var owner sql.NullString
			err := s.Scan(&c.ID, &owner)
			c.OwnerID = strPtr(owner)
			sink.Community(c)
			return err
		})
		if err == nil {
			err = loadRoles(ctx, tx, sink)
		}
		if err == nil {
			err = each(ctx, tx, "load", `SELECT community_id, user_id FROM members`, nil, func(s scanner) error {
				var c, u string
				err := s.Scan(&c, &u)
				sink.Member(c, u)
				return err
			})
		}
		if err == nil {
			err = each(ctx, tx, "load", `SELECT scope, user_id, role_id, source, expires_at FROM assignments`, nil, func(s scanner) error {
				var scope string
				var a roster.Assignment
				var exp sql.NullInt64
				err := s.Scan(&scope, &a.UserID, &a.RoleID, &a.Source, &exp)
				a.ExpiresAt = timePtr(exp)
				sink.Grant(scope, a)
				return err
			})
		}
		if err == nil {
			err = loadChannels(ctx, tx, sink)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return rev, nil
}

// loadRoles sends every role with its permissions, by scope, bottom to top.
func loadRoles(ctx context.Context, q querier, sink roster.StateSink) error {
	perms := map[string][]string{}
	err := each(ctx, q, "load", `SELECT role_id, key FROM role_permissions ORDER BY role_id, key`, nil, func(s scanner) error {
		var id, key string
		err := s.Scan(&id, &key)
		perms[id] = append(perms[id], key)
		return err
	})
	if err != nil {
		return err
	}
	return each(ctx, q, "load", `SELECT id, scope, name, position, builtin FROM roles ORDER BY scope, position`, nil, func(s scanner) error {
		var r roster.Role
		var scope string
		err := s.Scan(&r.ID, &scope, &r.Name, &r.Position, &r.Builtin)
		r.CommunityID, r.Protected = roster.ScopeRef(scope), r.Builtin != ""
		r.Permissions = perms[r.ID]
		if r.Permissions == nil {
			r.Permissions = []string{}
		}
		sink.Role(r)
		return err
	})
}

// loadChannels sends every channel with its overwrites.
func loadChannels(ctx context.Context, q querier, sink roster.StateSink) error {
	channels, err := collect(ctx, q, "load", `SELECT community_id, id, name FROM channels ORDER BY community_id, id`, nil, func(s scanner) (roster.Channel, error) {
		c := roster.Channel{Overwrites: []roster.Overwrite{}}
		err := s.Scan(&c.CommunityID, &c.ID, &c.Name)
		return c, err
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(channels); {
		community := channels[i].CommunityID
		ows, err := overwritesOf(ctx, q, community, `true`)
		if err != nil {
			return err
		}
		grouped := byChannel(ows)
		for ; i < len(channels) && channels[i].CommunityID == community; i++ {
			c := channels[i]
			if list := grouped[c.ID]; list != nil {
				c.Overwrites = list
			}
			sink.Channel(c)
		}
	}
	return nil
}
