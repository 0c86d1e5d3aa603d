package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/internal/readme"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestOpenAPIAnswers checks the OpenAPI document against real answers: the
// README's walkthrough, run as written, then requests that reach the other
// statuses, the headers and the problems the document describes, and the
// answers of a server whose database fails. Each answer must be documented
// for its operation (found by method and path template): its status, its
// media type, its body by the schema, and the headers the document says it
// always has; each request the server took must be one the document
// allows. The document describes the API whatever the engine, so one
// engine does.
func TestOpenAPIAnswers(t *testing.T) {
	t.Parallel()
	e, rec := mustRecorded(t, sqltest.SQLite)
	t.Run("walkthrough", func(t *testing.T) { readmeWalkthrough(t, e) })
	exercise(t, e)
	faulty(t, rec)
	doc := e.Must(t, http.StatusOK, "GET", "/v1/openapi.json", nil, Req{Key: "-"}).Raw
	got := rec.exchanges()

	statuses := map[int]bool{}
	for _, x := range got {
		statuses[x.status] = true
	}
	for _, want := range []int{200, 201, 204, 400, 401, 403, 404, 409, 412, 413, 415, 422, 503} {
		if !statuses[want] {
			t.Errorf("no answer with status %d was checked", want)
		}
	}

	t.Run("document", func(t *testing.T) {
		for _, lie := range lies(t, doc, got) {
			t.Error(lie)
		}
		problem := problemMembers(t, doc)
		for _, x := range got {
			if !strings.HasPrefix(x.header.Get("Content-Type"), "application/problem+json") {
				continue
			}
			var members map[string]any
			if err := json.Unmarshal(x.body, &members); err != nil {
				t.Errorf("%s: the problem is not a JSON object: %v", x, err)
			}
			for name := range members {
				if !problem[name] {
					t.Errorf("%s: the problem's member %q is not a property of the Problem schema", x, name)
				}
			}
		}
	})

	// Each lie told of one of the answers must be caught.
	for _, tc := range []struct {
		name  string
		lie   func(doc map[string]any)
		about string
	}{
		{"an upsert creates with 200 only", func(doc map[string]any) {
			delete(operation(doc, "put", "/v1/communities/{communityId}/members/{userId}")["responses"].(map[string]any), "201")
		}, "PUT /v1/communities/"},
		{"a problem code is missing", func(doc map[string]any) {
			code := schema(doc, "Problem")["properties"].(map[string]any)["code"].(map[string]any)
			enum, _ := code["enum"].([]any)
			code["enum"] = slices.DeleteFunc(enum, func(c any) bool { return c == roster.EROLEINUSE })
		}, "DELETE /v1/communities/den/roles/"},
		{"a problem is JSON", func(doc map[string]any) {
			r := operation(doc, "get", "/v1/communities/{communityId}")["responses"].(map[string]any)["404"].(map[string]any)
			r["content"] = map[string]any{"application/json": r["content"].(map[string]any)["application/problem+json"]}
		}, "GET /v1/communities/nope"},
		{"a header is always sent", func(doc map[string]any) {
			r := operation(doc, "get", "/healthz")["responses"].(map[string]any)["200"].(map[string]any)
			r["headers"].(map[string]any)["Roster-Revision"] = map[string]any{"required": true, "schema": map[string]any{"type": "integer"}}
		}, "GET /healthz"},
		{"a header is not sent", func(doc map[string]any) {
			r := operation(doc, "get", "/readyz")["responses"].(map[string]any)["200"].(map[string]any)
			delete(r["headers"].(map[string]any), "X-Request-Id")
		}, "GET /readyz"},
		{"a member is missing", func(doc map[string]any) {
			delete(schema(doc, "Member")["properties"].(map[string]any), "displayName")
		}, "PUT /v1/communities/"},
	} {
		t.Run("lie/"+tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(doc, &d); err != nil {
				t.Fatal(err)
			}
			tc.lie(d)
			lying, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			// Only the answers the lie is about are validated again.
			about := slices.DeleteFunc(slices.Clone(got), func(x exchange) bool { return !strings.Contains(x.String(), tc.about) })
			caught := lies(t, lying, about)
			if !slices.ContainsFunc(caught, func(l string) bool { return strings.Contains(l, tc.about) }) {
				t.Errorf("the lie was not caught: got %d complaints, none about %s: %q", len(caught), tc.about, caught)
			}
		})
	}
}

// TestOpenAPIDocument checks what the document says of every operation that
// no single answer can show wrong: which headers each honours, which may
// answer a write conflict or an unavailable database, and which are public.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	// The document is made from the routes alone: no store is needed.
	rec := httptest.NewRecorder()
	api.New(nil, api.Options{Log: slog.New(slog.DiscardHandler)}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the document: %v: %s", err, rec.Body)
	}
	if got := fmt.Sprint(doc["servers"]); !strings.Contains(got, "url:/") {
		t.Errorf("servers: got %s, want the relative URL /", got)
	}
	params := doc["components"].(map[string]any)["parameters"].(map[string]any)
	actAs := params["Roster-Act-As"].(map[string]any)["schema"].(map[string]any)
	if actAs["pattern"] != roster.IDPattern || actAs["maxLength"] != float64(roster.MaxIDLength) {
		t.Errorf("Roster-Act-As: got %v, want the pattern and length of user ids", actAs)
	}
	enum := schema(doc, "Problem")["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
	if !slices.IsSortedFunc(enum, func(a, b any) int { return strings.Compare(a.(string), b.(string)) }) ||
		!slices.Contains(enum, any(roster.EWRITECONFLICT)) || !slices.Contains(enum, any(roster.EUNAVAILABLE)) {
		t.Errorf("Problem.code: got enum %v, want every code, sorted", enum)
	}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			o := o.(map[string]any)
			id, responses := o["operationId"].(string), o["responses"].(map[string]any)
			security, ok := o["security"].([]any)
			if !ok {
				t.Errorf("%s: no security requirement, want one or an explicit []", id)
			}
			public := len(security) == 0
			if public != (path == "/healthz" || path == "/readyz") {
				t.Errorf("%s: got security %v", id, security)
			}
			var headers []string
			for _, p := range o["parameters"].([]any) {
				if ref, ok := p.(map[string]any)["$ref"].(string); ok {
					headers = append(headers, strings.TrimPrefix(ref, "#/components/parameters/"))
				}
			}
			if want := map[bool][]string{true: {"X-Request-Id"}, false: {"X-Request-Id", "Roster-Act-As"}}[public]; !slices.Equal(headers, want) {
				t.Errorf("%s: got shared parameters %v, want %v", id, headers, want)
			}
			write := method != "get" && id != "check" && id != "checkBatch"
			if _, ok := responses["409"]; ok != write {
				t.Errorf("%s: documents 409 %v, want %v (every write may answer write_conflict)", id, ok, write)
			}
			if _, ok := responses["503"]; ok != (!public || id == "ready") {
				t.Errorf("%s: documents 503 %v, want %v (the database may not answer)", id, ok, !public)
			}
			for status, r := range responses {
				h, _ := r.(map[string]any)["headers"].(map[string]any)
				if _, ok := h["X-Request-Id"]; !ok {
					t.Errorf("%s %s: no X-Request-Id header", id, status)
				}
			}
		}
	}
}

// lies returns what the answers show to be wrong in the document.
func lies(t *testing.T, doc []byte, got []exchange) []string {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("the document: %v", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("the document: %v", errs)
	}
	model, err := d.BuildV3Model()
	if err != nil {
		t.Fatalf("the document: %v", err)
	}
	var out []string
	for _, x := range got {
		req, res := x.request(), x.response()
		out = append(out, undocumentedHeaders(&model.Model, x)...)
		_, bad := v.ValidateHttpResponse(req, res)
		if x.status < 300 {
			_, badReq := v.ValidateHttpRequestSync(x.request())
			bad = append(bad, badReq...)
		}
		for _, b := range bad {
			msg := fmt.Sprintf("%s: %s: %s", x, b.Message, b.Reason)
			for _, f := range b.SchemaValidationErrors {
				msg += fmt.Sprintf("; %s at %s", f.Reason, f.FieldPath)
			}
			out = append(out, msg)
		}
	}
	return out
}

// undocumentedHeaders returns a complaint for each header of the answer
// that its response in the document does not list, but those of HTTP
// itself.
func undocumentedHeaders(doc *v3.Document, x exchange) []string {
	item, _, _ := paths.FindPath(x.request(), doc, nil)
	if item == nil {
		return nil // the validator says so
	}
	op := helpers.ExtractOperation(x.request(), item)
	if op == nil || op.Responses == nil {
		return nil
	}
	r := op.Responses.Codes.GetOrZero(strconv.Itoa(x.status))
	if r == nil {
		return nil
	}
	var out []string
	for name := range x.header {
		switch name {
		case "Content-Type", "Content-Length", "Date":
			continue
		}
		documented := false
		for h := range r.Headers.KeysFromOldest() {
			documented = documented || strings.EqualFold(h, name)
		}
		if !documented {
			out = append(out, fmt.Sprintf("%s: the answer's header %s is not documented", x, name))
		}
	}
	return out
}

// exercise makes requests that reach what the walkthrough does not: the
// updates of the upserting PUTs, the other statuses, the problems with
// facts, and the remaining kinds of answers.
func exercise(t *testing.T, e *Env) {
	t.Helper()
	anon := Req{Key: "-"}
	e.Must(t, http.StatusOK, "GET", "/healthz", nil, anon)
	e.Must(t, http.StatusOK, "GET", "/readyz", nil, Req{Key: "-", Header: map[string]string{"X-Request-Id": "my-request.1"}})
	e.Must(t, http.StatusBadRequest, "GET", "/healthz?a=1&a=2", nil, anon)

	// The upserting PUTs answer 201 when they create, 200 when they update.
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "den", "name": "Den", "ownerId": "olga"})
	for _, p := range []struct {
		path           string
		create, update any
	}{
		{"/v1/users/erin", map[string]any{"displayName": "Erin", "metadata": map[string]any{"team": "blue"}}, map[string]any{"displayName": "Erin B"}},
		{"/v1/communities/den/members/erin", nil, map[string]any{"displayName": "E"}},
		{"/v1/communities/den/channels/general", map[string]any{"name": "General"}, map[string]any{"name": "General chat"}},
	} {
		e.Must(t, http.StatusCreated, "PUT", p.path, p.create)
		e.Must(t, http.StatusOK, "PUT", p.path, p.update)
	}
	e.Must(t, http.StatusOK, "GET", "/v1/users/erin", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/users/erin/memberships", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/channels", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/channels/general", nil)
	e.Must(t, http.StatusOK, "PATCH", "/v1/communities/den", map[string]any{"name": "The Den"})

	// Roles: versions, conflicts, lists.
	role := e.Must(t, http.StatusCreated, "POST", "/v1/communities/den/roles", map[string]any{"name": "Helper", "permissions": []string{"MANAGE_POSTS"}})
	id := role.Str("id")
	etag := e.Must(t, http.StatusOK, "GET", "/v1/communities/den/roles/"+id, nil).Header.Get("ETag")
	stale := e.Must(t, http.StatusPreconditionFailed, "PATCH", "/v1/communities/den/roles/"+id, map[string]any{"name": "Helpers"},
		Req{Header: map[string]string{"If-Match": `"99"`}})
	if stale.JSON["version"] == nil {
		t.Errorf("version_mismatch: got %s, want the role's version", stale.Raw)
	}
	e.Must(t, http.StatusOK, "PATCH", "/v1/communities/den/roles/"+id, map[string]any{"name": "Helpers", "colour": nil},
		Req{Header: map[string]string{"If-Match": etag}})
	e.Must(t, http.StatusOK, "PUT", "/v1/communities/den/roles/order", map[string]any{"roleIds": []string{id, "admin"}})
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/roles?limit=1", nil)
	e.Must(t, http.StatusOK, "PUT", "/v1/communities/den/members/erin/roles/"+id, map[string]any{"expiresAt": "2999-01-01T00:00:00Z"})
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/members/erin/roles", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/roles/"+id+"/members", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/members?role="+id, nil)
	e.Must(t, http.StatusOK, "GET", "/v1/communities/den/members/erin/permissions?explain=true&channelId=general", nil)
	e.Must(t, http.StatusOK, "PUT", "/v1/communities/den/channels/general/overwrites/members/erin", map[string]any{"deny": []string{"SEND_MESSAGES"}})
	e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "den", "channelId": "general", "userId": "erin",
		"permission": "SEND_MESSAGES", "minRevision": 1})
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/den/channels/general/overwrites/members/erin", nil)
	inUse := e.Must(t, http.StatusConflict, "DELETE", "/v1/communities/den/roles/"+id, nil)
	if inUse.Code() != roster.EROLEINUSE || inUse.JSON["holders"] == nil {
		t.Errorf("deleting a held role: got %s, want role_in_use with holders", inUse.Raw)
	}
	// A batch removal that leaves a provisioning grant, then meets only it.
	e.Must(t, http.StatusOK, "PUT", "/v1/communities/den/members/erin/roles/"+id, map[string]any{"source": "provisioning"})
	for _, want := range []string{roster.Retained, roster.Kept} {
		res := e.Must(t, http.StatusOK, "POST", "/v1/communities/den/roles/batch-remove", map[string]any{"userIds": []string{"erin"}, "roleIds": []string{id}})
		if list, _ := res.JSON["results"].([]any); len(list) != 1 || list[0].(map[string]any)["result"] != want || list[0].(map[string]any)["keptBy"] != "provisioning" {
			t.Errorf("batch-remove: got %s, want %s, kept by provisioning", res.Raw, want)
		}
	}
	e.Must(t, http.StatusOK, "POST", "/v1/communities/den/members/batch-add", map[string]any{"userIds": []string{"finn", "erin"}})
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/den/roles/"+id+"?force=true", nil)

	// The platform scope.
	support := e.Must(t, http.StatusCreated, "POST", "/v1/platform/roles", map[string]any{"name": "Support", "permissions": []string{"VIEW_AUDIT_LOG"}}).Str("id")
	e.Must(t, http.StatusOK, "PUT", "/v1/platform/users/erin/roles/"+support, nil)
	e.Must(t, http.StatusOK, "GET", "/v1/platform/users/erin/permissions", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/platform/roles", nil)
	e.Must(t, http.StatusOK, "DELETE", "/v1/platform/users/erin/roles/"+support, nil)

	// Keys, and what keys may not do.
	e.Must(t, http.StatusUnauthorized, "GET", "/v1/communities", nil, anon)
	checker := e.Must(t, http.StatusCreated, "POST", "/v1/api-keys", map[string]any{"name": "checker", "scopes": []string{"check"}})
	e.Must(t, http.StatusForbidden, "GET", "/v1/communities", nil, Req{Key: checker.Str("secret")})
	actor := e.MustKey(t, map[string]any{"name": "actor", "scopes": []string{"write"}, "actAs": true})
	missing := e.Must(t, http.StatusForbidden, "POST", "/v1/communities/den/roles", map[string]any{"name": "Mine", "permissions": []string{}},
		Req{Key: actor, ActAs: "finn"})
	if missing.Code() != roster.EMISSINGPERMISSION || missing.JSON["permission"] == nil {
		t.Errorf("acting as a member without MANAGE_ROLES: got %s, want missing_permission with the permission", missing.Raw)
	}
	e.Must(t, http.StatusOK, "GET", "/v1/api-keys", nil)
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/api-keys/"+checker.Str("id"), nil)

	// Requests refused for what they are.
	e.Must(t, http.StatusNotFound, "GET", "/v1/communities/nope", nil)
	e.Must(t, http.StatusBadRequest, "POST", "/v1/communities", nil, Req{RawBody: `{"name":`})
	e.Must(t, http.StatusBadRequest, "GET", "/v1/communities?limit=1&limit=2", nil)
	e.Must(t, http.StatusUnprocessableEntity, "POST", "/v1/communities", map[string]any{"name": "", "colour": 1})
	e.Must(t, http.StatusUnprocessableEntity, "GET", "/v1/communities/den", nil, Req{Key: actor, ActAs: "not an id"})
	e.Must(t, http.StatusUnsupportedMediaType, "POST", "/v1/communities", nil, Req{RawBody: "name=x", Header: map[string]string{"Content-Type": "text/plain"}})
	e.Must(t, http.StatusRequestEntityTooLarge, "POST", "/v1/permissions", nil,
		Req{RawBody: `{"key": "BIG", "description": "` + strings.Repeat("x", api.MaxBodyBytes) + `"}`})

	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/den/members/erin", nil)
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/den/channels/general", nil)
	e.Must(t, http.StatusNoContent, "DELETE", "/v1/communities/den", nil)
	e.Must(t, http.StatusOK, "GET", "/v1/audit?platform=true&order=desc&limit=3", nil)
}

// faulty records the answers of a server whose database does not answer
// some calls, and whose writes keep conflicting.
func faulty(t *testing.T, rec *recorder) {
	t.Helper()
	s := api.New(faultyService{}, api.Options{Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(&recorder{next: s, into: rec})
	defer srv.Close()
	e := &Env{URL: srv.URL, Key: "live"}
	e.Must(t, http.StatusServiceUnavailable, "GET", "/readyz", nil, Req{Key: "-"})
	e.Must(t, http.StatusServiceUnavailable, "GET", "/v1/communities", nil, Req{Key: "down"})
	e.Must(t, http.StatusServiceUnavailable, "GET", "/v1/communities", nil)
	e.Must(t, http.StatusServiceUnavailable, "POST", "/v1/check", map[string]any{"userId": "u", "permission": "VIEW_CHANNEL", "minRevision": 99})
	e.Must(t, http.StatusConflict, "POST", "/v1/communities", map[string]any{"name": "Busy"})
}

// faultyService is a service whose database is out of reach for the key
// "down" and for reads, whose index is behind, and whose writes conflict.
type faultyService struct{ roster.Service }

func (faultyService) Authenticate(_ context.Context, secret string) (roster.APIKey, error) {
	if secret == "down" {
		return roster.APIKey{}, roster.Errorf(roster.EUNAVAILABLE, "the database cannot be reached: try again")
	}
	return roster.APIKey{ID: "k1", Name: "admin", Scopes: []string{roster.ScopeAdmin}}, nil
}

func (faultyService) CurrentRevision(context.Context) (roster.Revision, error) {
	return 0, roster.Errorf(roster.EUNAVAILABLE, "the database cannot be reached: try again")
}

func (faultyService) ListCommunities(context.Context, roster.CommunityFilter, roster.Page) ([]roster.Community, string, error) {
	return nil, "", roster.Errorf(roster.EUNAVAILABLE, "the database cannot be reached: try again")
}

func (faultyService) Allowed(context.Context, roster.Check, roster.Revision) (bool, roster.Revision, error) {
	return false, 0, roster.Errorf(roster.EREVISIONNOTREADY, "the index is at revision 1, not yet 99")
}

func (faultyService) CreateCommunity(context.Context, roster.Community) (roster.Community, roster.Revision, error) {
	return roster.Community{}, 0, roster.Errorf(roster.EWRITECONFLICT, "the change conflicted with concurrent changes 12 times; send it again")
}

// readmeWalkthrough runs the README's curl walkthrough, as written, against
// the server (as cmd/roster's TestReadmeWalkthrough does against the
// binary).
func readmeWalkthrough(t *testing.T, e *Env) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "roster-data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster-data", "admin.key"), []byte(e.Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	readme.Walkthrough(t, "../README.md", dir, e.URL)
}

// exchange is a request the server answered, and its answer.
type exchange struct {
	method, uri string
	reqHeader   http.Header
	reqBody     []byte
	status      int
	header      http.Header
	body        []byte
}

func (x exchange) String() string { return fmt.Sprintf("%s %s (%d)", x.method, x.uri, x.status) }

func (x exchange) request() *http.Request {
	r := httptest.NewRequest(x.method, x.uri, bytes.NewReader(x.reqBody))
	r.Header = x.reqHeader.Clone()
	return r
}

func (x exchange) response() *http.Response {
	return &http.Response{StatusCode: x.status, Header: x.header.Clone(), Body: io.NopCloser(bytes.NewReader(x.body))}
}

// recorder serves next and keeps each exchange, or hands it to into.
type recorder struct {
	next http.Handler
	into *recorder
	mu   sync.Mutex
	got  []exchange
}

// mustRecorded starts a server for the test as MustEnv does, in front of
// which a recorder keeps every exchange but those for the document itself.
func mustRecorded(t *testing.T, eng sqltest.Engine) (*Env, *recorder) {
	t.Helper()
	e := MustEnv(t, eng)
	rec := &recorder{next: e.Server}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e, rec
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	tw := &teeWriter{ResponseWriter: w}
	rc.next.ServeHTTP(tw, r)
	if r.URL.Path == "/v1/openapi.json" {
		return
	}
	x := exchange{method: r.Method, uri: r.URL.RequestURI(), reqHeader: r.Header.Clone(), reqBody: body,
		status: tw.status, header: maps.Clone(w.Header()), body: tw.body.Bytes()}
	to := rc
	if rc.into != nil {
		to = rc.into
	}
	to.mu.Lock()
	to.got = append(to.got, x)
	to.mu.Unlock()
}

func (rc *recorder) exchanges() []exchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// teeWriter keeps a copy of what is written.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// operation returns an operation of a document decoded as JSON.
func operation(doc map[string]any, method, path string) map[string]any {
	return doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

// schema returns a component schema of a document decoded as JSON.
func schema(doc map[string]any, name string) map[string]any {
	return doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
}

// problemMembers returns the names of the Problem schema's properties.
func problemMembers(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for name := range schema(d, "Problem")["properties"].(map[string]any) {
		out[name] = true
	}
	return out
}
