package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestGroupWritesFailAlone runs writes as one group: a write that fails
// after its statements were sent, one whose held-back statement fails at
// the database, and one that fails before sending anything each fail
// alone, with nothing of theirs committed, and the others commit.
func TestGroupWritesFailAlone(t *testing.T) {
	t.Parallel()
	refused := roster.Errorf(roster.EMISSINGPERMISSION, "refused")
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		db := eng.Open(t, sqlstore.Options{})
		ctx := roster.NewContext(context.Background(), roster.SystemActor)
		writes := []sqlstore.GroupWrite{
			{User: "held-first", HoldBack: true, Fail: nil},
			{User: "sent-then-refused", Fail: refused},
			{User: "held-first", HoldBack: true},                       // a duplicate: fails at the database
			{User: "held-then-refused", HoldBack: true, Fail: refused}, // sends its insert, then fails
			{User: "sent", Fail: nil},
			{User: "last-held", HoldBack: true},
		}
		errs, err := db.RunGroup(ctx, writes)
		if err != nil {
			t.Fatalf("RunGroup: %v", err)
		}
		for i, want := range []error{nil, refused, errors.New("a unique violation"), refused, nil, nil} {
			switch got := errs[i]; {
			case want == nil && got != nil:
				t.Errorf("write %d (%s): got %v, want no error", i, writes[i].User, got)
			case want == refused && got != refused:
				t.Errorf("write %d (%s): got %v, want its own refusal", i, writes[i].User, got)
			case want != nil && want != refused && got == nil:
				t.Errorf("write %d (%s): got no error, want %v", i, writes[i].User, want)
			}
		}
		for user, want := range map[string]bool{"held-first": true, "sent-then-refused": false, "held-then-refused": false, "sent": true, "last-held": true} {
			_, err := db.FindUser(ctx, user)
			if got := err == nil; got != want {
				t.Errorf("user %s: committed %v, want %v (%v)", user, got, want, err)
			}
		}
	})
}

// TestSideGroupWritesFailAlone runs writes side by side as one group on
// PostgreSQL: a write refused after its read leaves nothing and the others
// commit; then a write whose held-back insert fails at the database makes
// each write run alone, where it alone fails.
func TestSideGroupWritesFailAlone(t *testing.T) {
	t.Parallel()
	refused := roster.Errorf(roster.EMISSINGPERMISSION, "refused")
	sqltest.Postgres.Require(t)
	db := sqltest.Postgres.Open(t, sqlstore.Options{})
	ctx := roster.NewContext(context.Background(), roster.SystemActor)
	errs, err := db.RunSideGroup(ctx, []sqlstore.GroupWrite{
		{User: "a", HoldBack: true},
		{User: "b", HoldBack: true, Read: true, Fail: refused},
		{User: "c", HoldBack: true, Read: true},
	})
	if err != nil {
		t.Fatalf("RunSideGroup: %v", err)
	}
	if len(errs) != 3 || errs[0] != nil || errs[1] != refused || errs[2] != nil {
		t.Fatalf("got %v, want no error, the refusal, no error", errs)
	}
	errs, err = db.RunSideGroup(ctx, []sqlstore.GroupWrite{
		{User: "d", HoldBack: true, Read: true},
		{User: "a", HoldBack: true}, // a duplicate: fails at the database
	})
	if err != nil {
		t.Fatalf("RunSideGroup: %v", err)
	}
	if len(errs) != 2 || errs[0] != nil || errs[1] == nil {
		t.Fatalf("got %v, want no error, then a unique violation", errs)
	}
	for user, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		_, err := db.FindUser(ctx, user)
		if got := err == nil; got != want {
			t.Errorf("user %s: committed %v, want %v (%v)", user, got, want, err)
		}
	}
}
