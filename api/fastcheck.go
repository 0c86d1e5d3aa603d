package api

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// The check routes are the hot path: a host platform calls them on every
// request it serves. fastChecks answers their requests of the usual shape
// directly, with no schema and no reflection: it admits the key, builds the
// actor, validates and answers the checks, and encodes the answer through
// the same functions as the documented operations. Anything else (a body of
// another shape, bad input, a refused key) goes on to those operations,
// which answer it as every route does.
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

// checkOp is what both check operations ask of a key.
var checkOp = authz.Operations["check"]

// fastCheck answers the request and returns true, or returns false, having
// written nothing, for the documented operation to answer it. buf holds
// what it read of the body.
func (s *Server) fastCheck(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, batch bool) bool {
	// The usual media type only: the operation reads the others.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return false
	}
	actor, err := s.admit(r.Context(), r.Header.Get, checkOp, "")
	if err != nil {
		return false
	}
	if n, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil || n > MaxBodyBytes {
		return false
	}
	in, ok := parseCheckBody(buf.String(), batch)
	if !ok || validChecks(in.checks, batch) != nil {
		return false
	}
	ctx := roster.NewContext(r.Context(), actor)
	var one [1]bool
	results, rev, err := s.decideChecks(ctx, in.checks, in.min, batch, &one)
	if err != nil {
		writeProblem(w, problemFrom(ctx, nil, err))
		s.answeredLean()
		return true
	}
	out := append(appendChecks(make([]byte, 0, 64+len(results)*18), results, rev, batch), '\n')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	w.Write(out)
	s.answeredLean()
	return true
}

// answeredLean tells a test, when one listens, that the lean path answered.
func (s *Server) answeredLean() {
	if s.leanHook != nil {
		s.leanHook()
	}
}

// validChecks returns a validation error naming every malformed field of
// the checks, located as in a batch or a single check's body.
func validChecks(checks []roster.Check, batch bool) error {
	if err := roster.CheckBatch(checks); err != nil {
		return err
	}
	var bad []roster.FieldError
	for i, c := range checks {
		for _, f := range c.Invalid() {
			if batch {
				f.Location = "checks[" + strconv.Itoa(i) + "]." + f.Location
			}
			bad = append(bad, f)
		}
	}
	if bad != nil {
		return roster.Invalid(bad...)
	}
	return nil
}

// decideChecks answers the checks, all of a batch or the one of a single
// check (whose answer goes in one).
func (s *Server) decideChecks(ctx context.Context, checks []roster.Check, min roster.Revision, batch bool, one *[1]bool) ([]bool, roster.Revision, error) {
	if batch {
		return s.store.Check(ctx, checks, min)
	}
	ok, rev, err := s.store.Allowed(ctx, checks[0], min)
	one[0] = ok
	return one[:], rev, err
}

// appendChecks appends the answer of checks to out: {"allowed":…,
// "revision":…} for a single check, {"results":[{"allowed":…},…],
// "revision":…} for a batch. The operations' answers encode through it too.
func appendChecks(out []byte, results []bool, rev roster.Revision, batch bool) []byte {
	if batch {
		out = append(out, `{"results":[`...)
		for i, ok := range results {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"allowed":`...)
			out = strconv.AppendBool(out, ok)
			out = append(out, '}')
		}
		out = append(out, `],"revision":`...)
	} else {
		out = append(out, `{"allowed":`...)
		out = strconv.AppendBool(out, results[0])
		out = append(out, `,"revision":`...)
	}
	out = strconv.AppendInt(out, int64(rev), 10)
	return append(out, '}')
}
