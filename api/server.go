// Package api is Roster's HTTP API: JSON over HTTP under /v1, described by
// an OpenAPI 3.1 document generated from the code, with every error a
// problem document (RFC 9457). Handlers call the roster services; the rules
// live in package authz, never here.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Server serves the API over a store.
type Server struct {
	store roster.Service
	feed  roster.ChangeFeed
	// webhooks sends messages by hand; nil on a server that delivers none.
	webhooks roster.WebhookSender
	// tokens verifies the host's user tokens; nil when it takes none.
	tokens  roster.TokenVerifier
	keys    keyCache
	log     *slog.Logger
	now     roster.Clock
	metrics Observer
	limiter *limiter
	// snapshots bounds the snapshots read at once.
	snapshots chan struct{}
	// observers are the metrics' observers of each operation, by id;
	// leanObs those of the lean path's checks, single and batch.
	observers map[string]OperationObserver
	leanObs   [2]OperationObserver
	// leanHook, when set (by tests), is called each time the lean check
	// path answers a request.
	leanHook func()
	handler  http.Handler
}

// Options configure a server.
type Options struct {
	// Log is where the server logs; slog.Default when nil.
	Log *slog.Logger
	// Now is the clock of the API-key cache; time.Now when nil.
	Now roster.Clock
	// Feed serves the change feed and the watch stream, which answer
	// not_ready without one.
	Feed roster.ChangeFeed
	// Webhooks sends test messages and retries, which answer not_ready
	// without it.
	Webhooks roster.WebhookSender
	// Tokens, when set, lets users sign in with the host platform's own
	// tokens (Authorization: Bearer <JWT>) besides API keys.
	Tokens roster.TokenVerifier
	// Metrics, when set, is told of each request and each check.
	Metrics Observer
	// Limits bound the requests each key makes; none when empty.
	Limits Limits
}

// maxSnapshots bounds the snapshots a server streams at once.
const maxSnapshots = 2

// Observer is told what the server answers, for its metrics.
type Observer interface {
	// Operation returns what is told of the requests of an operation, by
	// its id ("" for the requests no route takes), each answered with its
	// status and how long it took; the server asks once for each.
	Operation(id string) interface {
		Request(status int, took time.Duration)
	}
	// Checks are checks answered, allowed and not.
	Checks(allowed, denied int)
}

// OperationObserver is what Observer.Operation returns.
type OperationObserver = interface {
	Request(status int, took time.Duration)
}

// New returns a server over the service.
func New(store roster.Service, opt Options) *Server {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{store: store, feed: opt.Feed, webhooks: opt.Webhooks, tokens: opt.Tokens, log: opt.Log, now: opt.Now, metrics: opt.Metrics, limiter: newLimiter(opt.Limits), snapshots: make(chan struct{}, maxSnapshots)}
	if s.metrics != nil {
		s.observers = map[string]OperationObserver{"": s.metrics.Operation("")}
		for id := range authz.Operations {
			s.observers[id] = s.metrics.Operation(id)
		}
		s.leanObs = [2]OperationObserver{s.observers["check"], s.observers["checkBatch"]}
	}
	mux := http.NewServeMux()
	s.routes(newAPI(mux))
	s.handler = s.observe(screen(route(mux)))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func init() {
	hookHumaErrors()
	huma.DefaultArrayNullable = false
}

func newAPI(mux *http.ServeMux) huma.API {
	config := huma.DefaultConfig("Roster", roster.Version)
	config.Info.Description = "Roles & permissions for community platforms: roles scoped to a community, " +
		"permissions on them, guarded assignment, an audit trail, and fast permission checks."
	config.OpenAPIPath = "/v1/openapi"
	config.DocsPath = ""
	config.SchemasPath = ""
	config.CreateHooks = nil
	// A relative URL: the document is right wherever Roster is served.
	config.Servers = []*huma.Server{{URL: "/", Description: "The Roster server that serves this document."}}
	config.OnAddOperation = append(config.OnAddOperation, describeAnswers)
	components(config.Components)
	config.Tags = tags
	config.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API key: Authorization: Bearer <key>; or, on a server started with --jwt-issuer, a user token (JWT) of the host platform, which acts as its sub."},
		"apiKey": {Type: "apiKey", In: "header", Name: "X-API-Key", Description: "An API key in the X-API-Key header"},
	}
	return humago.New(mux, config)
}

// op describes an operation: its route, id, summary, and the error statuses
// it may answer besides those op adds itself. What it asks of an API key is
// authz's (authz.Operations); from that and the method op adds the statuses
// common to operations of their kind:
//
//   - every operation: 400 (a malformed query string is refused before any
//     route reads it), and 500 (huma adds it);
//   - one that needs a key: 401, 403, 422 (bad input, the Roster-Act-As
//     header included), 429 (the key's rate limit) and 503 (the API key is
//     looked up in the database, which may not answer: database_unavailable);
//   - one with a body: 413 and 415 (and its 400 invalid_json);
//   - a write (any method but GET, the checks excepted): 409, since any
//     write may keep conflicting with concurrent ones (write_conflict);
//   - one under a community: 404.
func op(method, path, id, summary string, errs ...int) huma.Operation {
	need, ok := authz.Operations[id]
	if !ok {
		panic("api: operation " + id + " is not in authz.Operations")
	}
	o := huma.Operation{
		OperationID:  id,
		Method:       method,
		Path:         path,
		Summary:      summary,
		Tags:         []string{tag(path)},
		MaxBodyBytes: MaxBodyBytes + 1,
		// A public operation says so, rather than leaving it to a default.
		Security:   []map[string][]string{},
		Errors:     []int{http.StatusBadRequest},
		Parameters: []*huma.Param{requestIDParam},
	}
	if !need.Public() {
		o.Security = []map[string][]string{{"bearer": {}}, {"apiKey": {}}}
		o.Parameters = append(o.Parameters, actAsParam)
		o.Errors = append(o.Errors, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity,
			http.StatusTooManyRequests, http.StatusServiceUnavailable)
	}
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		o.Errors = append(o.Errors, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if method != http.MethodGet && need.Scope != roster.ScopeCheck {
		o.Errors = append(o.Errors, http.StatusConflict)
	}
	o.Errors = append(o.Errors, errs...)
	if strings.Contains(path, "{communityId}") {
		o.Parameters = append(o.Parameters, &huma.Param{
			Name: "communityId", In: "path", Required: true, Description: "The community's id.",
			Schema: &huma.Schema{Type: huma.TypeString, Pattern: roster.IDPattern, MinLength: ptr(1), MaxLength: ptr(roster.MaxIDLength)},
		})
		o.Errors = append(o.Errors, http.StatusNotFound)
	}
	return o
}

func ptr[T any](v T) *T { return &v }

// tags describe the groups of operations tag makes, in the document's order.
var tags = []*huma.Tag{
	{Name: "Communities", Description: "Communities: a server, guild or workspace, with its owner."},
	{Name: "Members", Description: "Who belongs to a community."},
	{Name: "Roles", Description: "Roles of a community or of the platform, their order, and who holds them."},
	{Name: "Channels", Description: "A community's channels and the overwrites that change what members may do in them."},
	{Name: "Checks", Description: "May a user do this? Answered from the in-memory index; and a user's effective permissions, and why."},
	{Name: "Permissions", Description: "The permission catalog: the built-in keys and your own."},
	{Name: "Users", Description: "A user's record, and their communities."},
	{Name: "Audit", Description: "The audit log: every change, who made it, before and after."},
	{Name: "API keys", Description: "The keys that call the API, their scopes and reach."},
	{Name: "Webhooks", Description: "Endpoints that receive the change log's events, signed (Standard Webhooks), in order, at least once."},
	{Name: "Health", Description: "Liveness and readiness, for load balancers: no key needed."},
}

// tag groups operations by their resource.
func tag(path string) string {
	switch {
	case strings.Contains(path, "/check"), strings.HasSuffix(path, "/permissions") && strings.Contains(path, "/members/"),
		strings.HasSuffix(path, "/platform/users/{userId}/permissions"):
		return "Checks"
	case strings.Contains(path, "/channels"):
		return "Channels"
	case strings.Contains(path, "/roles"):
		return "Roles"
	case strings.Contains(path, "/members"):
		return "Members"
	case strings.HasPrefix(path, "/v1/communities"):
		return "Communities"
	case strings.HasPrefix(path, "/v1/users"):
		return "Users"
	case strings.HasPrefix(path, "/v1/permissions"):
		return "Permissions"
	case strings.HasPrefix(path, "/v1/audit"), path == "/v1/changes", path == "/v1/watch":
		return "Audit"
	case strings.HasPrefix(path, "/v1/api-keys"):
		return "API keys"
	case strings.HasPrefix(path, "/v1/webhooks"):
		return "Webhooks"
	}
	return "Health"
}

// routes registers every operation of the API.
func (s *Server) routes(api huma.API) {
	api.UseMiddleware(s.authenticate(api))
	const (
		notFound = http.StatusNotFound
		stale    = http.StatusPreconditionFailed
		notReady = http.StatusServiceUnavailable
	)

	huma.Register(api, op("GET", "/healthz", "health", "Liveness"), s.health)
	huma.Register(api, op("GET", "/readyz", "ready", "Readiness: the database answers", notReady), s.ready)

	huma.Register(api, op("GET", "/v1/permissions", "listPermissions", "List the permission catalog"), s.listPermissions)
	huma.Register(api, created(op("POST", "/v1/permissions", "createPermission", "Register a permission key")), s.createPermission)
	huma.Register(api, deleted(op("DELETE", "/v1/permissions/{key}", "deletePermission", "Unregister a permission key", notFound)), s.deletePermission)

	upserting(api, op("PUT", "/v1/users/{userId}", "putUser", "Create or update a user's record"), s.putUser)
	huma.Register(api, op("GET", "/v1/users/{userId}", "getUser", "Get a user's record", notFound), s.getUser)
	huma.Register(api, op("GET", "/v1/users/{userId}/memberships", "listMemberships", "List a user's communities with their roles there", notFound), s.listMemberships)

	huma.Register(api, op("GET", "/v1/communities", "listCommunities", "List communities"), s.listCommunities)
	huma.Register(api, created(op("POST", "/v1/communities", "createCommunity", "Create a community with its built-in roles")), s.createCommunity)
	huma.Register(api, op("GET", "/v1/communities/{communityId}", "getCommunity", "Get a community"), s.getCommunity)
	huma.Register(api, op("PATCH", "/v1/communities/{communityId}", "updateCommunity", "Rename a community or transfer its ownership"), s.updateCommunity)
	huma.Register(api, deleted(op("DELETE", "/v1/communities/{communityId}", "deleteCommunity", "Delete a community and all it holds")), s.deleteCommunity)

	huma.Register(api, op("GET", "/v1/communities/{communityId}/members", "listMembers", "List members, optionally those holding a role"), s.listMembers)
	huma.Register(api, op("POST", "/v1/communities/{communityId}/members/batch-add", "batchAddMembers", "Add up to 1000 members, all or nothing"), s.batchAddMembers)
	upserting(api, op("PUT", "/v1/communities/{communityId}/members/{userId}", "addMember", "Add a member (or update their display name)"), s.addMember)
	huma.Register(api, op("GET", "/v1/communities/{communityId}/members/{userId}", "getMember", "Get a member with their roles"), s.getMember)
	huma.Register(api, deleted(op("DELETE", "/v1/communities/{communityId}/members/{userId}", "removeMember", "Remove a member and their roles")), s.removeMember)

	for _, sc := range []struct{ prefix, holder, id, what string }{
		{"/v1/communities/{communityId}", "/v1/communities/{communityId}/members/{userId}", "", "community"},
		{"/v1/platform", "/v1/platform/users/{userId}", "Platform", "platform"},
	} {
		p, h, id, w := sc.prefix, sc.holder, sc.id, sc.what
		huma.Register(api, op("GET", p+"/roles", "list"+id+"Roles", "List "+w+" roles, bottom to top"), s.listRoles)
		huma.Register(api, created(op("POST", p+"/roles", "create"+id+"Role", "Create a "+w+" role")), s.createRole)
		huma.Register(api, op("PUT", p+"/roles/order", "reorder"+id+"Roles", "Reorder "+w+" roles (every role but everyone, bottom to top)"), s.reorderRoles)
		huma.Register(api, op("GET", p+"/roles/{roleId}", "get"+id+"Role", "Get a "+w+" role", notFound), s.getRole)
		huma.Register(api, op("PATCH", p+"/roles/{roleId}", "update"+id+"Role", "Update a "+w+" role", notFound, stale), s.updateRole)
		huma.Register(api, deleted(op("DELETE", p+"/roles/{roleId}", "delete"+id+"Role", "Delete a "+w+" role", notFound, stale)), s.deleteRole)
		huma.Register(api, op("GET", p+"/roles/{roleId}/members", "list"+id+"RoleHolders", "List who holds a "+w+" role", notFound), s.listRoleHolders)
		huma.Register(api, op("POST", p+"/roles/batch-add", "batchAdd"+id+"Roles", "Add roles to users, all or nothing", notFound), s.batchAdd)
		huma.Register(api, op("POST", p+"/roles/batch-remove", "batchRemove"+id+"Roles", "Remove roles from users, all or nothing", notFound), s.batchRemove)
		huma.Register(api, op("GET", h+"/roles", "list"+id+"UserRoles", "List the "+w+" roles a user holds", notFound), s.listUserRoles)
		huma.Register(api, op("PUT", h+"/roles/{roleId}", "add"+id+"UserRole", "Give a user a "+w+" role", notFound), s.addUserRole)
		huma.Register(api, op("DELETE", h+"/roles/{roleId}", "remove"+id+"UserRole", "Take a "+w+" role from a user", notFound), s.removeUserRole)
		huma.Register(api, op("GET", h+"/permissions", "get"+id+"EffectivePermissions", "A user's effective "+w+" permissions, and why", notFound), s.effectivePermissions)
	}

	ch, ow := "/v1/communities/{communityId}/channels", "/v1/communities/{communityId}/channels/{channelId}/overwrites"
	huma.Register(api, op("GET", ch, "listChannels", "List a community's channels with their overwrites"), s.listChannels)
	upserting(api, op("PUT", ch+"/{channelId}", "putChannel", "Create a channel (or rename it)"), s.putChannel)
	huma.Register(api, op("GET", ch+"/{channelId}", "getChannel", "Get a channel with its overwrites"), s.getChannel)
	huma.Register(api, deleted(op("DELETE", ch+"/{channelId}", "deleteChannel", "Delete a channel and its overwrites")), s.deleteChannel)
	huma.Register(api, op("PUT", ow+"/roles/{roleId}", "setRoleOverwrite", "Set a role's overwrite in a channel"), s.setRoleOverwrite)
	huma.Register(api, deleted(op("DELETE", ow+"/roles/{roleId}", "deleteRoleOverwrite", "Remove a role's overwrite from a channel")), s.deleteRoleOverwrite)
	huma.Register(api, op("PUT", ow+"/members/{userId}", "setMemberOverwrite", "Set a member's overwrite in a channel"), s.setMemberOverwrite)
	huma.Register(api, deleted(op("DELETE", ow+"/members/{userId}", "deleteMemberOverwrite", "Remove a member's overwrite from a channel")), s.deleteMemberOverwrite)

	huma.Register(api, op("POST", "/v1/check", "check", "May this user do this?", notFound, notReady), s.check)
	huma.Register(api, op("POST", "/v1/check/batch", "checkBatch", "Many checks in one request", notFound, notReady), s.checkBatch)

	huma.Register(api, op("GET", "/v1/audit", "listAuditEvents", "Read the audit log", notFound), s.listEvents)
	s.registerChanges(api)
	s.registerWatch(api)
	s.registerSnapshot(api)
	s.registerWebhooks(api)

	huma.Register(api, created(op("POST", "/v1/api-keys", "createAPIKey", "Create an API key (its secret is shown once)", notFound)), s.createAPIKey)
	huma.Register(api, op("GET", "/v1/api-keys", "listAPIKeys", "List API keys"), s.listAPIKeys)
	huma.Register(api, deleted(op("DELETE", "/v1/api-keys/{keyId}", "revokeAPIKey", "Revoke an API key", notFound)), s.revokeAPIKey)
}

func created(o huma.Operation) huma.Operation {
	o.DefaultStatus = http.StatusCreated
	return o
}

func deleted(o huma.Operation) huma.Operation {
	o.DefaultStatus = http.StatusNoContent
	return o
}
