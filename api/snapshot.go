package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// SnapshotLine is one line of a snapshot: exactly one of its members is
// set. The lines come in the order a follower loads them — the catalog,
// communities, roles (by scope, bottom to top), members, grants, channels —
// and the last one carries the revision they are the state at.
type SnapshotLine struct {
	Permission string            `json:"permission,omitempty"`
	Community  *roster.Community `json:"community,omitempty"`
	Role       *roster.Role      `json:"role,omitempty"`
	Member     *SnapshotMember   `json:"member,omitempty"`
	Grant      *SnapshotGrant    `json:"grant,omitempty"`
	Channel    *roster.Channel   `json:"channel,omitempty"`
	Revision   *roster.Revision  `json:"revision,omitempty" doc:"On the last line alone: the revision the snapshot is the state at (0 for an empty log); follow the change log from it."`
}

// SnapshotMember is a member in a snapshot.
type SnapshotMember struct {
	CommunityID string `json:"communityId"`
	UserID      string `json:"userId"`
}

// SnapshotGrant is a grant in a snapshot: the scope ("" for the platform)
// and the assignment.
type SnapshotGrant struct {
	Scope      string            `json:"scope"`
	Assignment roster.Assignment `json:"assignment"`
}

func (s *Server) registerSnapshot(api huma.API) {
	o := op("GET", "/v1/snapshot", "getSnapshot", "The state checks depend on, as a follower loads it (NDJSON)")
	o.Description = "One JSON object per line, each a SnapshotLine; the last carries the revision. A key restricted to a community " +
		"gets the catalog and that community alone, without the platform scope. Then follow /v1/changes from the revision."
	o.Responses = map[string]*huma.Response{"200": {
		Description: "Newline-delimited JSON, one SnapshotLine per line.",
		Content:     map[string]*huma.MediaType{"application/x-ndjson": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(SnapshotLine{}), true, "SnapshotLine")}},
	}}
	huma.Register(api, o, s.snapshot)
}

func (s *Server) snapshot(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
	actor := roster.ActorFrom(ctx)
	if err := authz.ReadSnapshot(actor); err != nil {
		return nil, err
	}
	// Each snapshot holds a read transaction (and a connection) while its
	// reader reads: a few at a time leave the pool to the other reads.
	select {
	case s.snapshots <- struct{}{}:
	default:
		return nil, roster.Errorf(roster.ENOTREADY, "%d snapshots are being read already; retry shortly", cap(s.snapshots))
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		defer func() { <-s.snapshots }()
		_, w := humago.Unwrap(hc)
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Minute))
		hc.SetHeader("Content-Type", "application/x-ndjson")
		hc.SetHeader("Cache-Control", "no-store")
		out := bufio.NewWriterSize(w, 64<<10)
		sink := &snapshotSink{enc: json.NewEncoder(out), only: authz.Reachable(actor)}
		rev, err := s.store.LoadState(hc.Context(), sink)
		if err == nil {
			err = sink.line(SnapshotLine{Revision: &rev})
		}
		if err != nil {
			// The stream ends without its last line: the reader knows it
			// is cut short.
			loggerFrom(ctx).Error("snapshot", "err", err)
		}
		out.Flush()
	}}, nil
}

// snapshotSink writes the state as lines, keeping to one community when
// only is set.
type snapshotSink struct {
	enc  *json.Encoder
	only string
	err  error
}

func (k *snapshotSink) line(l SnapshotLine) error {
	if k.err == nil {
		k.err = k.enc.Encode(l)
	}
	return k.err
}

func (k *snapshotSink) reaches(community string) bool { return k.only == "" || community == k.only }

func (k *snapshotSink) Permission(key string) { k.line(SnapshotLine{Permission: key}) }

func (k *snapshotSink) Community(c roster.Community) {
	if k.reaches(c.ID) {
		k.line(SnapshotLine{Community: &c})
	}
}

func (k *snapshotSink) Role(r roster.Role) {
	scope := roster.Platform
	if r.CommunityID != nil {
		scope = *r.CommunityID
	}
	if k.reaches(scope) {
		k.line(SnapshotLine{Role: &r})
	}
}

func (k *snapshotSink) Member(communityID, userID string) {
	if k.reaches(communityID) {
		k.line(SnapshotLine{Member: &SnapshotMember{communityID, userID}})
	}
}

func (k *snapshotSink) Grant(scope string, a roster.Assignment) {
	if k.reaches(scope) {
		k.line(SnapshotLine{Grant: &SnapshotGrant{scope, a}})
	}
}

func (k *snapshotSink) Channel(c roster.Channel) {
	if k.reaches(c.CommunityID) {
		k.line(SnapshotLine{Channel: &c})
	}
}
