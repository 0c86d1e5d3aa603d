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
// another shape, bad input, a refused key) goes on to next, the documented
// operations, which answer it as every route does.
func (s *Server) fastChecks(x *exchange, r *http.Request, next http.Handler) {
	sc := scratches.Get().(*scratch)
	defer sc.release()
	buf := &sc.body
	ok, err := s.fastCheck(x, r, sc)
	if ok {
		if s.observers != nil {
			x.obs = s.leanObs[0]
			if r.URL.Path == "/v1/check/batch" {
				x.obs = s.leanObs[1]
			}
		}
		s.answeredLean()
		return
	}
	// Replay what was read, then the rest, or the error that stopped the
	// read.
	rest := r.Body
	if err != nil {
		rest = io.NopCloser(failedReader{err})
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf.Bytes()), rest), r.Body}
	next.ServeHTTP(&x.statusWriter, r.WithContext(x))
}

// lean reports whether the request is one fastChecks may answer: a POST to
// a check route, without a query string (whose every parameter is refused,
// as for any route, by the operation).
func lean(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.RawQuery == "" && (r.URL.Path == "/v1/check" || r.URL.Path == "/v1/check/batch")
}

// failedReader fails as the body it stands for did.
type failedReader struct{ err error }

func (f failedReader) Read([]byte) (int, error) { return 0, f.err }

// scratch is the memory of a lean check that outlives it: the buffer of
// the body (and then of the answer) and the checks.
type scratch struct {
	body   bytes.Buffer
	checks []roster.Check
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// release empties the scratch, keeping its memory, and gives it back.
func (sc *scratch) release() {
	sc.body.Reset()
	clear(sc.checks)
	sc.checks = sc.checks[:0]
	scratches.Put(sc)
}

// checkOp is what both check operations ask of a key.
var checkOp = authz.Operations["check"]

// fastCheck answers the request and returns true, or returns false, having
// written nothing, for the documented operation to answer it, with the
// error reading the body if that is what stopped it. sc.body holds what it
// read of the body.
func (s *Server) fastCheck(x *exchange, r *http.Request, sc *scratch) (bool, error) {
	buf := &sc.body
	batch := r.URL.Path == "/v1/check/batch"
	get := func(key string) string { return header(r.Header, key) }
	// The usual media type only: the operation reads the others.
	if ct := get("Content-Type"); ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return false, nil
		}
	}
	// A body of known length, which the server bounds; the operation
	// reads the others.
	if r.ContentLength <= 0 || r.ContentLength > MaxBodyBytes {
		return false, nil
	}
	actor, err := s.admit(x, get, checkOp, "")
	if err != nil {
		return false, nil
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return false, err
	}
	in, ok := parseCheckBody(buf.String(), batch, sc.checks)
	sc.checks = in.checks
	if !ok || validChecks(in.checks, batch) != nil {
		return false, nil
	}
	// The limit counts the request here, once it is the lean path's to
	// answer: a body declined above is counted by the operation instead.
	if s.limiter != nil {
		al, ok := s.limiter.take(actor, checkOp.Scope, s.now())
		al.headers(x.Header())
		if !ok {
			writeProblem(&x.statusWriter, problemFrom(x, nil, al.refusal()))
			return true, nil
		}
	}
	ctx := roster.NewContext(x, actor)
	var answer [1]bool
	results, rev, err := s.decideChecks(ctx, in.checks, in.min, batch, &answer)
	if err != nil {
		writeProblem(&x.statusWriter, problemFrom(ctx, nil, err))
		return true, nil
	}
	buf.Reset()
	out := append(appendChecks(buf.AvailableBuffer(), results, rev, batch), '\n')
	h := x.Header()
	x.jsonType[0] = "application/json"
	h["Content-Type"] = x.jsonType[:]
	// net/http adds the Content-Length of a short answer itself.
	if len(out) > 1024 {
		h["Content-Length"] = []string{strconv.Itoa(len(out))}
	}
	x.Write(out)
	return true, nil
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
	var answers []bool
	var rev roster.Revision
	var err error
	if batch {
		answers, rev, err = s.store.Check(ctx, checks, min)
	} else {
		one[0], rev, err = s.store.Allowed(ctx, checks[0], min)
		answers = one[:]
	}
	if err == nil && s.metrics != nil {
		allowed := 0
		for _, a := range answers {
			if a {
				allowed++
			}
		}
		s.metrics.Checks(allowed, len(answers)-allowed)
	}
	return answers, rev, err
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
