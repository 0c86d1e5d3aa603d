package roster

import (
	"context"
	"time"
)

// ChangeFeed serves the change log to followers, live: the events after a
// revision, and a wait for the next ones when none has come yet.
type ChangeFeed interface {
	// Follow returns at most limit events after the revision that match
	// the filter, oldest first. When none has come yet it waits up to
	// wait for one, then answers what it has. The actor reads what
	// AuditService.FollowEvents lets it read, and the same errors refuse
	// it.
	Follow(ctx context.Context, filter EventFilter, after Revision, limit int, wait time.Duration) (ChangePage, error)
}

// ChangePage is a page of the change log for a follower.
type ChangePage struct {
	Events []Event
	// Next is the revision to follow from: the last event's when the page
	// is full, else the newest one read, matching the filter or not. It
	// is never below the revision asked after, so that an empty page
	// answers the same one.
	Next Revision
}

// Follow bounds.
const (
	// MaxFollowWait bounds how long Follow waits for an event.
	MaxFollowWait = time.Minute
	// CheckpointEvery is how often a follower that receives nothing is told
	// the revision it is current to.
	CheckpointEvery = 15 * time.Second
)
