package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// ChangeParams are the query parameters that narrow the change feed and
// the watch stream.
type ChangeParams struct {
	CommunityID string `query:"communityId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"Only this community's events."`
	Platform    bool   `query:"platform" doc:"Only platform-scope events (catalog, users, platform roles, keys)."`
	Action      string `query:"action" maxLength:"64" doc:"Only this action (member.role_added), or every action a prefix ending in a dot begins (member.)."`
	Target      string `query:"target" maxLength:"128" doc:"Only events about this target id."`
	Actor       string `query:"actor" maxLength:"128" doc:"Only events by this key id or acting user id."`
}

func (p ChangeParams) filter() (roster.EventFilter, error) {
	if p.Platform && p.CommunityID != "" {
		return roster.EventFilter{}, roster.Invalid(roster.FieldError{Location: "query.platform", Message: "cannot be combined with communityId", Value: true})
	}
	return roster.EventFilter{CommunityID: p.CommunityID, PlatformOnly: p.Platform, Action: p.Action, Target: p.Target, Actor: p.Actor}, nil
}

// Changes is a page of the change feed.
type Changes struct {
	Items []roster.Event `json:"items"`
	// NextAfter is the revision to pass as ?after= next.
	NextAfter roster.Revision `json:"nextAfter" doc:"Pass as ?after= to read on: the last item's revision when the page is full, else the newest revision read (the same as after when nothing came)."`
}

type changesOutput struct {
	Body Changes
}

func (s *Server) listChanges(ctx context.Context, in *struct {
	ChangeParams
	After int64  `query:"after" minimum:"0" doc:"Answer the events after this revision (0: from the start)."`
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Events per page, 1-1000."`
	Wait  string `query:"wait" maxLength:"16" doc:"When no event has come yet, wait up to this long for one (a duration such as 30s, at most 1m); 0 by default."`
}) (*changesOutput, error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	wait, err := parseWait(in.Wait)
	if err != nil {
		return nil, err
	}
	feed, err := s.changeFeed()
	if err != nil {
		return nil, err
	}
	page, err := feed.Follow(ctx, f, roster.Revision(in.After), in.Limit, wait)
	if err != nil {
		return nil, err
	}
	return &changesOutput{Body: Changes{Items: page.Events, NextAfter: page.Next}}, nil
}

// parseWait reads the wait of a long poll, a Go duration; the feed checks
// its range.
func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, roster.Invalid(roster.FieldError{Location: "query.wait", Message: "must be a duration such as 30s", Value: s})
	}
	return d, nil
}

// changeFeed returns the feed, or ENOTREADY on a server made without one.
func (s *Server) changeFeed() (roster.ChangeFeed, error) {
	if s.feed == nil {
		return nil, roster.Errorf(roster.ENOTREADY, "this server does not serve the change feed")
	}
	return s.feed, nil
}

// registerChanges registers the change feed, whose answers, which may
// wait, are written later than the server's write timeout allows.
func (s *Server) registerChanges(api huma.API) {
	o := op("GET", "/v1/changes", "listChanges", "Follow the change log: the events after a revision", http.StatusNotFound, http.StatusServiceUnavailable)
	o.Middlewares = huma.Middlewares{func(hc huma.Context, next func(huma.Context)) {
		_, w := humago.Unwrap(hc)
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(roster.MaxFollowWait + 10*time.Second))
		next(hc)
	}}
	huma.Register(api, o, s.listChanges)
}

// Checkpoint tells a watcher the revision it is current to when no event
// has come for a while.
type Checkpoint struct {
	Revision roster.Revision `json:"revision" doc:"Every event up to this revision that matches the watch has been sent."`
}

// watchIn are the parameters of the watch stream.
type watchIn struct {
	ChangeParams
	After       int64 `query:"after" minimum:"0" doc:"Stream the events after this revision (0: from the start)."`
	LastEventID int64 `header:"Last-Event-ID" minimum:"0" doc:"The id of the last message received, which an EventSource sends when it reconnects: it takes the place of after."`
}

// registerWatch registers the watch stream: the change feed as
// Server-Sent Events.
func (s *Server) registerWatch(api huma.API) {
	o := op("GET", "/v1/watch", "watchChanges", "Stream the change log (Server-Sent Events)", http.StatusNotFound, http.StatusServiceUnavailable)
	o.Description = "Each event is a `change` message whose id is its revision. A `checkpoint` message, at the start and whenever " +
		roster.CheckpointEvery.String() + " have passed since the last one, carries (as its data and its id) the revision " +
		"every matching event up to which has been sent. Reconnect with Last-Event-ID, or ?after=, to go on with nothing missed and nothing twice."
	schemas := api.OpenAPI().Components.Schemas
	message := func(event string, data any) *huma.Schema {
		return &huma.Schema{Type: huma.TypeObject, Required: []string{"id", "event", "data"}, Properties: map[string]*huma.Schema{
			"id":    {Type: huma.TypeInteger, Description: "A revision."},
			"event": {Type: huma.TypeString, Enum: []any{event}},
			"data":  schemas.Schema(reflect.TypeOf(data), true, event),
		}}
	}
	o.Responses = map[string]*huma.Response{"200": {
		Description: "A stream of Server-Sent Events, each one of these.",
		Content: map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{
			OneOf: []*huma.Schema{message("change", roster.Event{}), message("checkpoint", Checkpoint{})},
		}}},
	}}
	huma.Register(api, o, s.watch)
}

// watch decides whether the actor may follow the log as asked, then
// streams it.
func (s *Server) watch(ctx context.Context, in *watchIn) (*huma.StreamResponse, error) {
	after := roster.Revision(max(in.After, in.LastEventID))
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	feed, err := s.changeFeed()
	if err != nil {
		return nil, err
	}
	if _, err := feed.Follow(ctx, f, after, 1, 0); err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		// The key is checked again at each checkpoint: a stream ends soon
		// after its key is revoked or expires.
		admitted := func() bool {
			_, err := s.admit(hc.Context(), hc.Header, authz.Operations["watchChanges"], "")
			return err == nil
		}
		stream(hc, feed, f, after, admitted)
	}}, nil
}

// stream sends the events after the revision, and checkpoints, until the
// client leaves, the feed closes or the request is no longer admitted.
func stream(hc huma.Context, feed roster.ChangeFeed, f roster.EventFilter, after roster.Revision, admitted func() bool) {
	ctx := hc.Context()
	hc.SetHeader("Content-Type", "text/event-stream")
	hc.SetHeader("Cache-Control", "no-store")
	hc.SetHeader("X-Accel-Buffering", "no")
	_, w := humago.Unwrap(hc)
	rc := http.NewResponseController(w)
	var buf []byte
	send := func(id roster.Revision, event string, data any) error {
		doc, err := json.Marshal(data)
		if err != nil {
			return err
		}
		buf = strconv.AppendInt(append(buf[:0], "id: "...), int64(id), 10)
		buf = append(append(append(append(buf, "\nevent: "...), event...), "\ndata: "...), doc...)
		buf = append(buf, "\n\n"...)
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(buf); err != nil {
			return err
		}
		return rc.Flush()
	}
	checkpoint := func() error { return send(after, "checkpoint", Checkpoint{Revision: after}) }
	if checkpoint() != nil {
		return
	}
	due := time.Now().Add(roster.CheckpointEvery)
	for {
		page, err := feed.Follow(ctx, f, after, roster.MaxPageLimit, max(time.Until(due), 0))
		if err != nil {
			return
		}
		for _, e := range page.Events {
			if send(e.Revision, "change", e) != nil {
				return
			}
		}
		after = page.Next
		if !time.Now().Before(due) {
			if !admitted() || checkpoint() != nil {
				return
			}
			due = time.Now().Add(roster.CheckpointEvery)
		}
	}
}
