package sqlstore_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"github.com/rosterhq/roster/storetest"
)

// sqlSink writes a dataset's state straight into the tables, many rows per
// statement, in one transaction, for benchmarks that need a big database
// quickly. Its SQL is in the subset both engines share.
type sqlSink struct {
	tx      *sql.Tx
	dollars bool
	now     int64
	err     error
	pending map[string][][]any
}

// sinkTables lists the tables in the order rows are flushed, parents first.
var sinkTables = []struct{ name, columns, conflict string }{
	{"permissions", "key, created_at", " ON CONFLICT DO NOTHING"},
	{"users", "id, created_at, updated_at", " ON CONFLICT DO NOTHING"},
	{"communities", "id, name, owner_id, created_at, updated_at", ""},
	{"roles", "id, scope, name, name_key, position, builtin, created_at, updated_at", ""},
	{"role_permissions", "role_id, key", ""},
	{"members", "community_id, user_id, joined_at", ""},
	{"assignments", "role_id, user_id, source, scope, granted_by_key, granted_at, expires_at", ""},
	{"channels", "community_id, id, created_at, updated_at", ""},
	{"overwrites", "community_id, channel_id, target_type, target_id", ""},
	{"overwrite_permissions", "community_id, channel_id, target_type, target_id, key, effect", ""},
}

// add queues a row, flushing every table when one has 500 rows waiting.
func (s *sqlSink) add(table string, row ...any) {
	s.pending[table] = append(s.pending[table], row)
	if len(s.pending[table]) >= 500 {
		s.flush()
	}
}

func (s *sqlSink) flush() {
	for _, t := range sinkTables {
		rows := s.pending[t.name]
		if len(rows) == 0 || s.err != nil {
			continue
		}
		var b strings.Builder
		b.WriteString("INSERT INTO " + t.name + " (" + t.columns + ") VALUES ")
		var args []any
		for i, row := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				if s.dollars {
					b.WriteString("$" + strconv.Itoa(len(args)))
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		b.WriteString(t.conflict)
		_, s.err = s.tx.Exec(b.String(), args...)
		s.pending[t.name] = rows[:0]
	}
}

func (s *sqlSink) Permission(key string) { s.add("permissions", key, s.now) }

func (s *sqlSink) Community(c roster.Community) {
	if c.OwnerID != nil {
		s.add("users", *c.OwnerID, s.now, s.now)
	}
	s.add("communities", c.ID, c.ID, c.OwnerID, s.now, s.now)
}

func (s *sqlSink) Role(r roster.Role) {
	if r.CommunityID == nil {
		return // The store made the platform's built-in roles.
	}
	s.add("roles", r.ID, *r.CommunityID, r.Name, r.Name, r.Position, r.Builtin, s.now, s.now)
	for _, k := range r.Permissions {
		s.add("role_permissions", r.ID, k)
	}
}

func (s *sqlSink) Member(community, user string) {
	s.add("users", user, s.now, s.now)
	s.add("members", community, user, s.now)
}

func (s *sqlSink) Grant(scope string, a roster.Assignment) {
	var expires any
	if a.ExpiresAt != nil {
		expires = a.ExpiresAt.UnixMicro()
	}
	s.add("assignments", a.RoleID, a.UserID, string(a.Source), scope, "bench", s.now, expires)
}

func (s *sqlSink) Channel(c roster.Channel) {
	s.add("channels", c.CommunityID, c.ID, s.now, s.now)
	for _, o := range c.Overwrites {
		s.add("overwrites", c.CommunityID, c.ID, o.Type, o.ID)
		for _, k := range o.Allow {
			s.add("overwrite_permissions", c.CommunityID, c.ID, o.Type, o.ID, k, roster.EffectAllow)
		}
		for _, k := range o.Deny {
			s.add("overwrite_permissions", c.CommunityID, c.ID, o.Type, o.ID, k, roster.EffectDeny)
		}
	}
}

// BenchmarkIndexBuild builds the index from a database holding the full
// benchmark dataset (1,000,000 assignments), on each engine.
func BenchmarkIndexBuild(b *testing.B) {
	data := storetest.FullDataset
	data.Generate(1)
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			ctx := context.Background()
			dsn := eng.DSN(b)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			driver, source := "pgx", dsn
			if eng == sqltest.SQLite {
				driver, source = "sqlite", "file:"+dsn+"?_pragma=foreign_keys(0)&_pragma=synchronous(OFF)"
			}
			raw, err := sql.Open(driver, source)
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			tx, err := raw.Begin()
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			sink := &sqlSink{tx: tx, dollars: eng == sqltest.Postgres, now: start.UnixMicro(), pending: map[string][][]any{}}
			data.Send(sink, start)
			sink.flush()
			if sink.err != nil {
				b.Fatal(sink.err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.Logf("wrote the dataset to %s in %s", eng.Name, time.Since(start).Round(time.Millisecond))
			b.ReportAllocs()
			for b.Loop() {
				ix, err := index.Open(ctx, db, index.Options{})
				if err != nil {
					b.Fatal(err)
				}
				ix.Close()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/build")
		})
	}
}
