package api

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// exchange is what the server keeps of one request while it answers it:
// its id, the logger, and the status answered. It is the request's one
// allocation of observe, and its context: the request's, carrying the
// exchange.
type exchange struct {
	context.Context
	statusWriter
	id  string
	log *slog.Logger
	// obs is the metrics' observer of the operation that took the
	// request, once one has.
	obs OperationObserver
	// idHeader and jsonType back the values of the answer's X-Request-Id
	// and Content-Type headers.
	idHeader, jsonType [1]string
}

type exchangeKey struct{}

// Value returns the exchange for exchangeKey, and the request context's
// values for any other key.
func (x *exchange) Value(key any) any {
	if key == (exchangeKey{}) {
		return x
	}
	return x.Context.Value(key)
}

// requestIDPattern is what a client's X-Request-Id must match to be kept;
// validRequestID decides it.
const requestIDPattern = `^[A-Za-z0-9._:-]{1,64}$`

// validRequestID reports whether id matches requestIDPattern.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func requestID(ctx context.Context) string {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return x.id
	}
	return ""
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return x.log
	}
	return slog.Default()
}

// newRequestID returns 16 random hex digits. An id names a request in logs
// and answers and guards nothing, so it comes from the runtime's fast
// generator rather than crypto/rand.
func newRequestID() string {
	var n [8]byte
	var b [16]byte
	binary.BigEndian.PutUint64(n[:], rand.Uint64())
	hex.Encode(b[:], n[:])
	return string(b[:])
}

// header returns the first value of h's header named key, which must be
// in canonical form ("X-Api-Key"): a map lookup, without canonicalizing.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
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
// It answers the checks of the usual shape on the lean path (fastChecks),
// and every other request with next.
func (s *Server) observe(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x := &exchange{Context: r.Context(), statusWriter: statusWriter{ResponseWriter: w}, log: s.log}
		x.id = header(r.Header, "X-Request-Id")
		if !validRequestID(x.id) {
			x.id = newRequestID()
		}
		x.idHeader[0] = x.id
		w.Header()["X-Request-Id"] = x.idHeader[:]
		defer s.end(x, r, start)
		if lean(r) {
			s.fastChecks(x, r, next)
			return
		}
		next.ServeHTTP(&x.statusWriter, r.WithContext(x))
	}
}

// end logs the request's line, once it is answered, and answers a panic
// with a 500.
func (s *Server) end(x *exchange, r *http.Request, start time.Time) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("panic", "requestId", x.id, "panic", v)
		if x.status == 0 {
			writeProblem(&x.statusWriter, newProblem(x, roster.EINTERNAL, "internal error", nil))
		}
	}
	took := time.Since(start)
	if s.observers != nil {
		if x.obs == nil {
			x.obs = s.observers[""]
		}
		x.obs.Request(x.status, took)
	}
	// Checks come by the thousand each second: they are logged at debug
	// level, unless they fail.
	level := slog.LevelInfo
	if strings.HasPrefix(r.URL.Path, "/v1/check") && x.status < 400 {
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	s.log.LogAttrs(ctx, level, "request", slog.String("requestId", x.id), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Int("status", x.status),
		slog.Duration("duration", took.Round(time.Microsecond)))
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
		if s.observers != nil {
			if x, ok := ctx.Context().Value(exchangeKey{}).(*exchange); ok {
				x.obs = s.observers[op.OperationID]
			}
		}
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
		if s.limiter != nil {
			al, ok := s.limiter.take(actor, need.Scope, s.now())
			h := http.Header{}
			al.headers(h)
			for k := range h {
				ctx.SetHeader(k, h.Get(k))
			}
			if !ok {
				fail(al.refusal())
				return
			}
		}
		if op.RequestBody != nil && !jsonBody(ctx) {
			fail(roster.Errorf(roster.EUNSUPPORTEDMEDIA, "the body must be JSON, sent with Content-Type: application/json"))
			return
		}
		next(huma.WithContext(ctx, roster.NewContext(ctx.Context(), actor)))
	}
}

// admit authenticates the API key, or the user token, a request's headers
// carry and returns the actor it makes, if it may call an operation needing
// need in the community the request names ("" for none).
func (s *Server) admit(ctx context.Context, header func(string) string, need authz.Operation, community string) (roster.Actor, error) {
	user := header("Roster-Act-As")
	var key roster.APIKey
	var err error
	if token, ok := s.userToken(header); ok {
		var t roster.UserToken
		if t, err = s.tokens.VerifyToken(ctx, token); err == nil {
			key, err = authz.TokenKey(t, user)
			user = t.UserID
		}
	} else {
		key, err = s.keyOf(ctx, header)
	}
	if err != nil {
		return roster.Actor{}, err
	}
	if err := authz.Admit(authz.AdmitFacts{Key: key, Op: need, Community: community, ActAs: user}); err != nil {
		return roster.Actor{}, err
	}
	if user != "" {
		if err := roster.CheckID("header.Roster-Act-As", user); err != nil {
			return roster.Actor{}, err
		}
	}
	actor := key.Actor(user)
	actor.RequestID = requestID(ctx)
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
