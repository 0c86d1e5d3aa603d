package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

type requestIDKey struct{}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id (the client's X-Request-Id when
// well-formed), logs one line when it ends, and turns a panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, loggerKey{}, s.log)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "requestId", id, "panic", v)
				if sw.status == 0 {
					writeProblem(sw, newProblem(ctx, roster.EINTERNAL, "internal error", nil))
				}
			}
			// Checks come by the thousand each second: they are logged at
			// debug level, unless they fail.
			level := slog.LevelInfo
			if strings.HasPrefix(r.URL.Path, "/v1/check") && sw.status < 400 {
				level = slog.LevelDebug
			}
			s.log.Log(ctx, level, "request", "requestId", id, "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration", time.Since(start).Round(time.Microsecond))
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// route answers requests no route matches with a problem document: 404, or
// 405 with Allow when the path exists for other methods.
func route(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerOnly{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeProblem(w, newProblem(r.Context(), roster.EMETHODNOTALLOWED, r.Method+" is not allowed on "+r.URL.Path, nil))
			return
		}
		writeProblem(w, newProblem(r.Context(), roster.EROUTENOTFOUND, "no route matches "+r.Method+" "+r.URL.Path, nil))
	})
}

// headerOnly records what the mux's own 404/405 answer would be.
type headerOnly struct {
	header http.Header
	status int
}

func (h *headerOnly) Header() http.Header         { return h.header }
func (h *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerOnly) WriteHeader(status int)      { h.status = status }

// authenticate checks the credentials and what the operation asks of the
// key before anything else of the request, and puts the actor in the
// context.
func (s *Server) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		need := authz.Operations[op.OperationID]
		if need.Public() {
			next(ctx)
			return
		}
		fail := func(err error) {
			p := problemFrom(ctx.Context(), op, err)
			if p.Code == roster.EUNAUTHENTICATED {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="roster"`)
			}
			huma.WriteErr(api, ctx, p.Status, p.Detail, p)
		}
		actor, err := s.admit(ctx.Context(), ctx.Header, need, ctx.Param("communityId"))
		if err != nil {
			fail(err)
			return
		}
		if op.RequestBody != nil && !jsonBody(ctx) {
			fail(roster.Errorf(roster.EUNSUPPORTEDMEDIA, "the body must be JSON, sent with Content-Type: application/json"))
			return
		}
		next(huma.WithContext(ctx, roster.NewContext(ctx.Context(), actor)))
	}
}

// admit authenticates the key a request's headers carry and returns the
// actor it makes, if the key may call an operation needing need in the
// community the request names ("" for none).
func (s *Server) admit(ctx context.Context, header func(string) string, need authz.Operation, community string) (roster.Actor, error) {
	key, err := s.keyOf(ctx, header)
	if err != nil {
		return roster.Actor{}, err
	}
	user := header("Roster-Act-As")
	if err := authz.Admit(authz.AdmitFacts{Key: key, Op: need, Community: community, ActAs: user}); err != nil {
		return roster.Actor{}, err
	}
	if user != "" {
		if err := roster.CheckID("header.Roster-Act-As", user); err != nil {
			return roster.Actor{}, err
		}
	}
	actor := roster.Actor{KeyID: key.ID, UserID: user, RequestID: requestID(ctx)}
	if key.CommunityID != nil {
		actor.CommunityID = *key.CommunityID
	}
	return actor, nil
}

// jsonBody reports whether the request has no body or a JSON one.
func jsonBody(ctx huma.Context) bool {
	r, _ := humago.Unwrap(ctx)
	if r.ContentLength == 0 {
		return true
	}
	mt, _, err := mime.ParseMediaType(ctx.Header("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
