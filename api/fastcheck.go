package api

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// The check routes are the hot path: a host platform calls them on every
// request it serves. fastChecks answers their well-formed requests directly,
// with the same answers as the documented operations; anything else (bad
// input, a missing or unknown key, an acting user) goes on to those
// operations, which answer it as every route does.
func (s *Server) fastChecks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		batch := r.URL.Path == "/v1/check/batch"
		if r.Method != http.MethodPost || !batch && r.URL.Path != "/v1/check" {
			next.ServeHTTP(w, r)
			return
		}
		buf := bodies.Get().(*bytes.Buffer)
		defer bodies.Put(buf)
		buf.Reset()
		if !s.fastCheck(w, r, buf, batch) {
			// Replay what was read, then the rest.
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf.Bytes()), r.Body), r.Body}
			next.ServeHTTP(w, r)
		}
	})
}

var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// fastCheck answers the request and returns true, or returns false, having
// written nothing, for the documented operation to answer it. buf holds
// what it read of the body.
func (s *Server) fastCheck(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, batch bool) bool {
	if r.Header.Get("Roster-Act-As") != "" {
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return false
	}
	key, err := s.keyOf(r.Context(), r.Header.Get)
	if err != nil || !authz.KeyAllows(key.Scopes, roster.ScopeCheck) {
		return false
	}
	if n, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil || n > MaxBodyBytes {
		return false
	}
	in, ok := parseCheckBody(buf.String(), batch)
	if !ok || len(in.checks) > roster.MaxCheckBatch {
		return false
	}
	for _, c := range in.checks {
		// An empty string where an id goes is refused by the operation.
		if !roster.ValidID(c.UserID) || !roster.ValidPermissionKey(c.Permission) ||
			c.CommunityID != "" && !roster.ValidID(c.CommunityID) || c.ChannelID != "" && !roster.ValidID(c.ChannelID) {
			return false
		}
	}
	actor := roster.Actor{KeyID: key.ID, RequestID: requestID(r.Context())}
	if key.CommunityID != nil {
		actor.CommunityID = *key.CommunityID
	}
	ctx := roster.NewContext(r.Context(), actor)
	out := make([]byte, 0, 64+len(in.checks)*18)
	if batch {
		res, rev, err := s.store.Check(ctx, in.checks, in.min)
		if err != nil {
			writeProblem(w, problemFrom(ctx, nil, err))
			return true
		}
		out = append(out, `{"results":[`...)
		for i, ok := range res {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"allowed":`...)
			out = strconv.AppendBool(out, ok)
			out = append(out, '}')
		}
		out = append(out, `],"revision":`...)
		out = strconv.AppendInt(out, int64(rev), 10)
	} else {
		ok, rev, err := s.store.Allowed(ctx, in.checks[0], in.min)
		if err != nil {
			writeProblem(w, problemFrom(ctx, nil, err))
			return true
		}
		out = append(out, `{"allowed":`...)
		out = strconv.AppendBool(out, ok)
		out = append(out, `,"revision":`...)
		out = strconv.AppendInt(out, int64(rev), 10)
	}
	out = append(out, "}\n"...)
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	w.Write(out)
	return true
}
