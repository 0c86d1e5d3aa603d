package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/storetest"
)

// sqlSink writes a dataset's state straight into the tables, in one
// transaction, for benchmarks that need a big database quickly.
type sqlSink struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	err   error
	now   int64
}

func (s *sqlSink) exec(query string, args ...any) {
	if s.err != nil {
		return
	}
	st, ok := s.stmts[query]
	if !ok {
		if st, s.err = s.tx.Prepare(query); s.err != nil {
			return
		}
		s.stmts[query] = st
	}
	_, s.err = st.Exec(args...)
}

func (s *sqlSink) Permission(key string) {
	s.exec(`INSERT OR IGNORE INTO permissions (key, created_at) VALUES (?, ?)`, key, s.now)
}

func (s *sqlSink) Community(c roster.Community) {
	s.exec(`INSERT INTO communities (id, name, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, c.ID, c.ID, c.OwnerID, s.now, s.now)
}

func (s *sqlSink) Role(r roster.Role) {
	if r.CommunityID == nil {
		return // The store made the platform's built-in roles.
	}
	s.exec(`INSERT INTO roles (id, scope, name, name_key, position, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, *r.CommunityID, r.Name, r.Name, r.Position, r.Builtin, s.now, s.now)
	for _, k := range r.Permissions {
		s.exec(`INSERT INTO role_permissions (role_id, key) VALUES (?, ?)`, r.ID, k)
	}
}

func (s *sqlSink) Member(community, user string) {
	s.exec(`INSERT OR IGNORE INTO users (id, created_at, updated_at) VALUES (?, ?, ?)`, user, s.now, s.now)
	s.exec(`INSERT INTO members (community_id, user_id, joined_at) VALUES (?, ?, ?)`, community, user, s.now)
}

func (s *sqlSink) Grant(scope string, a roster.Assignment) {
	var expires any
	if a.ExpiresAt != nil {
		expires = a.ExpiresAt.UnixMicro()
	}
	s.exec(`INSERT INTO assignments (role_id, user_id, source, scope, granted_by_key, granted_at, expires_at) VALUES (?, ?, ?, ?, 'bench', ?, ?)`,
		a.RoleID, a.UserID, a.Source, scope, s.now, expires)
}

func (s *sqlSink) Channel(c roster.Channel) {
	s.exec(`INSERT INTO channels (community_id, id, created_at, updated_at) VALUES (?, ?, ?, ?)`, c.CommunityID, c.ID, s.now, s.now)
	for _, o := range c.Overwrites {
		s.exec(`INSERT INTO overwrites (community_id, channel_id, target_type, target_id) VALUES (?, ?, ?, ?)`, c.CommunityID, c.ID, o.Type, o.ID)
		for _, side := range []struct {
			effect string
			keys   []string
		}{{roster.EffectAllow, o.Allow}, {roster.EffectDeny, o.Deny}} {
			for _, k := range side.keys {
				s.exec(`INSERT INTO overwrite_permissions (community_id, channel_id, target_type, target_id, key, effect) VALUES (?, ?, ?, ?, ?, ?)`,
					c.CommunityID, c.ID, o.Type, o.ID, k, side.effect)
			}
		}
	}
}

// BenchmarkIndexBuild builds the index from a SQLite database holding the
// full benchmark dataset (1,000,000 assignments).
func BenchmarkIndexBuild(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "roster.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	data := storetest.FullDataset
	data.Generate(1)
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(0)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	sink := &sqlSink{tx: tx, stmts: map[string]*sql.Stmt{}, now: start.UnixMicro()}
	data.Send(sink, start)
	if sink.err != nil {
		b.Fatal(sink.err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	b.Logf("wrote the dataset to SQLite in %s", time.Since(start).Round(time.Millisecond))
	b.ReportAllocs()
	for b.Loop() {
		ix, err := index.Open(ctx, db, index.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/build")
}
