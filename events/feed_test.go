package events_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// mustWrites makes communities c0..c2 with members and roles granted and
// taken, and returns the revision of the last write.
func mustWrites(t *testing.T, db *sqlstore.DB, n int) roster.Revision {
	t.Helper()
	ctx := context.Background()
	var rev roster.Revision
	for i := range 3 {
		c := fmt.Sprintf("c%d", i)
		if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		c, u := fmt.Sprintf("c%d", i%3), fmt.Sprintf("u%d", i)
		var err error
		if _, rev, err = db.AddMember(ctx, c, u, nil); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if rev, err = db.RemoveMember(ctx, c, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	return rev
}

// followAll reads every page after 0 that matches the filter.
func followAll(t *testing.T, feed *events.Feed, f roster.EventFilter, limit int) []roster.Revision {
	t.Helper()
	var got []roster.Revision
	after := roster.Revision(0)
	for range 1000 {
		page, err := feed.Follow(context.Background(), f, after, limit, 0)
		if err != nil {
			t.Fatalf("Follow(%+v, %d): %v", f, after, err)
		}
		if page.Next < after {
			t.Fatalf("Follow(%+v, %d): next %d goes back", f, after, page.Next)
		}
		for _, e := range page.Events {
			got = append(got, e.Revision)
		}
		if len(page.Events) == 0 {
			return got
		}
		after = page.Next
	}
	t.Fatal("Follow never came to an empty page")
	return nil
}

// TestFollowMatchesTheLog reads the log through the feed, from the
// database and then from memory, with each filter, and compares it with
// the whole log filtered here.
func TestFollowMatchesTheLog(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		db := eng.Open(t, sqlstore.Options{})
		ctx := context.Background()
		mustWrites(t, db, 20) // before the feed: read from the database
		feed, err := events.Open(ctx, db, events.Options{Keep: 8})
		if err != nil {
			t.Fatal(err)
		}
		defer feed.Close()
		for i := range 12 { // after it: held in memory, the oldest dropped
			if _, _, err = db.AddMember(ctx, "c1", fmt.Sprintf("late%d", i), nil); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.Changes(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []roster.EventFilter{
			{},
			{CommunityID: "c1"},
			{PlatformOnly: true},
			{Action: "member."},
			{Action: "member.left"},
			{Action: "role."},
			{Action: "member"}, // neither an action nor a prefix: nothing
			{Target: "u3"},
			{CommunityID: "c2", Action: "member.joined"},
		} {
			var want []roster.Revision
			for _, e := range all {
				if f.Match(e) {
					want = append(want, e.Revision)
				}
			}
			if len(want) == 0 && f.Action != "member" {
				t.Fatalf("filter %+v matches no event: the test proves nothing", f)
			}
			for _, limit := range []int{1, 5, 1000} {
				if got := followAll(t, feed, f, limit); !slices.Equal(got, want) {
					t.Errorf("Follow(%+v), limit %d: got revisions %v, want %v", f, limit, got, want)
				}
			}
		}
	})
}

// TestFollowWaits shows a follower waiting for the next event, and an
// empty answer keeping its revision.
func TestFollowWaits(t *testing.T) {
	t.Parallel()
	db := sqltest.SQLite.Open(t, sqlstore.Options{})
	ctx := context.Background()
	feed, err := events.Open(ctx, db, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	rev := feed.Revision()
	page, err := feed.Follow(ctx, roster.EventFilter{}, rev+5, 10, 0)
	if err != nil || len(page.Events) != 0 || page.Next != rev+5 {
		t.Fatalf("Follow ahead of the log: got %+v, %v; want no event and next %d", page, err, rev+5)
	}
	type answer struct {
		page roster.ChangePage
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		p, err := feed.Follow(ctx, roster.EventFilter{CommunityID: "late"}, rev, 10, 30*time.Second)
		done <- answer{p, err}
	}()
	if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "late", Name: "Late"}); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil || len(a.page.Events) == 0 || a.page.Events[0].Action != roster.ActionCommunityCreated {
		t.Fatalf("Follow waiting: got %+v, %v; want the community.created event", a.page, a.err)
	}
	feed.Close()
	if _, err := feed.Follow(ctx, roster.EventFilter{}, 0, 10, time.Second); roster.ErrorCode(err) != roster.ENOTREADY {
		t.Errorf("Follow after Close: got %v, want %s", err, roster.ENOTREADY)
	}
}
