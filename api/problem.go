package api

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// Problem is an RFC 9457 problem document: every error Roster answers.
type Problem struct {
	Type      string         `json:"type" doc:"A URI naming the kind of problem: urn:roster:problem:{code}."`
	Title     string         `json:"title" doc:"The HTTP status text."`
	Status    int            `json:"status" doc:"The HTTP status code."`
	Detail    string         `json:"detail" doc:"What went wrong, for a person."`
	Code      string         `json:"code" doc:"A stable snake_case code to branch on."`
	Errors    []ProblemField `json:"errors" doc:"Each bad input, for validation errors."`
	RequestID string         `json:"requestId" doc:"The request's id, also in the X-Request-Id header and the server log."`
	// ErrorCount is set when Errors lists only the first of the bad inputs.
	ErrorCount int `json:"errorCount,omitempty" doc:"How many bad inputs there were in all, when errors lists only the first 20."`
	// Extra holds machine-readable facts of some problems (such as the holders
	// of a role in use); they are written as members of the document.
	Extra map[string]any `json:"-"`
}

// problemFacts are the facts problems may add (roster.Error.Extra), each
// documented as an optional member of the Problem schema; the schema allows
// other members, for facts added later.
var problemFacts = map[string]*huma.Schema{
	"permission": {Type: huma.TypeString, Description: "missing_permission, cannot_grant_permission: the permission in question."},
	"holders":    {Type: huma.TypeInteger, Description: "role_in_use: how many users hold the role."},
	"version":    {Type: huma.TypeInteger, Description: "version_mismatch: the role's current version, for If-Match."},
	"roles":      {Type: huma.TypeInteger, Description: "permission_in_use: how many roles grant the permission."},
	"overwrites": {Type: huma.TypeInteger, Description: "permission_in_use: how many channel overwrites name the permission."},
	"userId":     {Type: huma.TypeString, Description: "granted_by_source: the user whose grant was not removed."},
	"roleId":     {Type: huma.TypeString, Description: "granted_by_source: the role whose grant was not removed."},
}

// TransformSchema documents what the struct cannot say of a problem: the
// stable codes (every code of the statuses table, sorted) and the facts of
// Extra.
func (p *Problem) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	for name, fact := range problemFacts {
		// A copy: huma writes into the schemas of each API it builds, and
		// servers are built side by side (as tests do).
		copied := *fact
		s.Properties[name] = &copied
	}
	s.AdditionalProperties = &huma.Schema{Description: "A fact of the problem not listed here."}
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		s.Properties["code"].Enum = append(s.Properties["code"].Enum, code)
	}
	return s
}

// ProblemField is one bad input.
type ProblemField struct {
	Location string `json:"location" doc:"Where, such as body.name, path.roleId or query.limit."`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

// Error implements error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma answer problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// MarshalJSON writes the extra facts after the standard members.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal((*plain)(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	b = b[:len(b)-1]
	for _, k := range slices.Sorted(maps.Keys(p.Extra)) {
		v, err := json.Marshal(p.Extra[k])
		if err != nil {
			return nil, err
		}
		key, _ := json.Marshal(k)
		b = append(append(append(append(b, ','), key...), ':'), v...)
	}
	return append(b, '}'), nil
}

// statuses maps every error code to its HTTP status.
var statuses = map[string]int{
	roster.EINVALIDJSON:        http.StatusBadRequest,
	roster.EINVALIDQUERY:       http.StatusBadRequest,
	roster.EUNAUTHENTICATED:    http.StatusUnauthorized,
	roster.EINSUFFICIENTSCOPE:  http.StatusForbidden,
	roster.ESOURCENOTALLOWED:   http.StatusForbidden,
	roster.ECANNOTREMOVEADMIN:  http.StatusForbidden,
	roster.EMISSINGPERMISSION:  http.StatusForbidden,
	roster.EROLEHIERARCHY:      http.StatusForbidden,
	roster.ECANNOTGRANT:        http.StatusForbidden,
	roster.ENOTOWNER:           http.StatusForbidden,
	roster.EROUTENOTFOUND:      http.StatusNotFound,
	roster.ECOMMUNITYNOTFOUND:  http.StatusNotFound,
	roster.EROLENOTFOUND:       http.StatusNotFound,
	roster.EMEMBERNOTFOUND:     http.StatusNotFound,
	roster.EUSERNOTFOUND:       http.StatusNotFound,
	roster.EPERMISSIONNOTFOUND: http.StatusNotFound,
	roster.EAPIKEYNOTFOUND:     http.StatusNotFound,
	roster.ECHANNELNOTFOUND:    http.StatusNotFound,
	roster.EOVERWRITENOTFOUND:  http.StatusNotFound,
	roster.EWEBHOOKNOTFOUND:    http.StatusNotFound,
	roster.EDELIVERYNOTFOUND:   http.StatusNotFound,
	roster.EROLENOTHELD:        http.StatusNotFound,
	roster.EMETHODNOTALLOWED:   http.StatusMethodNotAllowed,
	roster.ELASTADMIN:          http.StatusConflict,
	roster.EROLEPROTECTED:      http.StatusConflict,
	roster.EROLEINUSE:          http.StatusConflict,
	roster.EGRANTEDBYSOURCE:    http.StatusConflict,
	roster.EROLENOTASSIGNABLE:  http.StatusConflict,
	roster.EPERMISSIONINUSE:    http.StatusConflict,
	roster.EPERMISSIONBUILTIN:  http.StatusConflict,
	roster.EPERMISSIONEXISTS:   http.StatusConflict,
	roster.ECOMMUNITYEXISTS:    http.StatusConflict,
	roster.EROLENAMETAKEN:      http.StatusConflict,
	roster.ELIMITREACHED:       http.StatusConflict,
	roster.EOWNERCANNOTLEAVE:   http.StatusConflict,
	roster.EAPIKEYREVOKED:      http.StatusConflict,
	roster.ELASTADMINKEY:       http.StatusConflict,
	roster.EWRITECONFLICT:      http.StatusConflict,
	roster.ELEASELOST:          http.StatusConflict,
	roster.EVERSIONMISMATCH:    http.StatusPreconditionFailed,
	roster.EBODYTOOLARGE:       http.StatusRequestEntityTooLarge,
	roster.EUNSUPPORTEDMEDIA:   http.StatusUnsupportedMediaType,
	roster.EVALIDATION:         http.StatusUnprocessableEntity,
	roster.ERATELIMITED:        http.StatusTooManyRequests,
	roster.EINTERNAL:           http.StatusInternalServerError,
	roster.EREVISIONNOTREADY:   http.StatusServiceUnavailable,
	roster.ENOTREADY:           http.StatusServiceUnavailable,
	roster.EUNAVAILABLE:        http.StatusServiceUnavailable,
}

// codes maps the statuses huma answers by itself (bad JSON, validation,
// size) to codes.
var codes = map[int]string{
	http.StatusBadRequest:            roster.EINVALIDJSON,
	http.StatusNotFound:              roster.EROUTENOTFOUND,
	http.StatusMethodNotAllowed:      roster.EMETHODNOTALLOWED,
	http.StatusRequestEntityTooLarge: roster.EBODYTOOLARGE,
	http.StatusUnsupportedMediaType:  roster.EUNSUPPORTEDMEDIA,
	http.StatusUnprocessableEntity:   roster.EVALIDATION,
}

// newProblem builds the problem document for a code.
func newProblem(ctx context.Context, code, detail string, fields []ProblemField) *Problem {
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if fields == nil {
		fields = []ProblemField{}
	}
	p := &Problem{
		Type:      "urn:roster:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Code:      code,
		Errors:    fields,
		RequestID: requestID(ctx),
	}
	p.bound()
	return p
}

// problemFrom turns any error into a problem: a domain error by its code,
// with its fields located in a request to op (nil for the lean check path,
// whose inputs are all in the body); anything else into a logged 500 that
// leaks nothing.
func problemFrom(ctx context.Context, op *huma.Operation, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var e *roster.Error
	if !errors.As(err, &e) {
		loggerFrom(ctx).Error("internal error", "requestId", requestID(ctx), "err", err)
		return newProblem(ctx, roster.EINTERNAL, "internal error", nil)
	}
	fields := make([]ProblemField, len(e.Fields))
	for i, f := range e.Fields {
		fields[i] = ProblemField{Location: located(op, f.Location), Message: f.Message, Value: f.Value}
	}
	detail := e.Message
	if e.Code == roster.EVALIDATION && len(fields) == 1 {
		detail = fields[0].Location + ": " + fields[0].Message
	}
	p = newProblem(ctx, e.Code, detail, fields)
	p.Extra = e.Extra
	return p
}

// located says where a field a domain error names by its plain path
// (userId, roleIds[3], checks[0].permission) is in a request to op: in the
// operation's path, query or header parameter of that name, else in the
// body. A location the HTTP layer made itself (header.If-Match) stays.
func located(op *huma.Operation, field string) string {
	for _, in := range []string{"body.", "path.", "query.", "header."} {
		if strings.HasPrefix(field, in) {
			return field
		}
	}
	name := field
	if i := strings.IndexAny(field, "[."); i >= 0 {
		name = field[:i]
	}
	if op != nil {
		for _, p := range op.Parameters {
			if p.Name == name {
				return p.In + "." + field
			}
		}
	}
	return "body." + field
}

// hookHumaErrors makes huma's own errors (bad JSON, validation, body size)
// problem documents with codes, like Roster's.
func hookHumaErrors() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		var ctx context.Context = context.Background()
		var op *huma.Operation
		if hctx != nil {
			ctx, op = hctx.Context(), hctx.Operation()
		}
		code, ok := codes[status]
		if !ok && status < 500 {
			code = roster.EVALIDATION
		}
		var fields []ProblemField
		for _, err := range errs {
			var e *roster.Error
			var p *Problem
			var b *bodyError
			switch {
			case errors.As(err, &b):
				return b.problem(ctx)
			case status == http.StatusUnprocessableEntity && errors.As(err, &e) && e.Code == roster.EVALIDATION:
				fields = append(fields, problemFrom(ctx, op, e).Errors...)
				continue
			case errors.As(err, &e) || errors.As(err, &p) || status >= 500:
				return problemFrom(ctx, op, err)
			}
			f := ProblemField{Message: plainMessage(err)}
			if d, ok := err.(huma.ErrorDetailer); ok {
				detail := d.ErrorDetail()
				f = ProblemField{Location: detail.Location, Message: detail.Message, Value: detailValue(detail)}
				if m := requiredProperty.FindStringSubmatch(f.Message); m != nil {
					f = ProblemField{Location: f.Location + "." + m[1], Message: "is required"}
				}
			}
			if code == roster.EINVALIDJSON {
				f.Value = nil
			}
			fields = append(fields, f)
		}
		if status >= 500 {
			return problemFrom(ctx, op, errors.New(msg))
		}
		if code == roster.EVALIDATION && len(fields) > 0 {
			msg = describe(fields)
		} else if code == roster.EINVALIDJSON && len(fields) > 0 {
			msg = "the body is not valid JSON: " + fields[0].Message
		}
		return newProblem(ctx, code, msg, fields)
	}
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errs...)
	}
}

// requiredProperty matches huma's message for a missing field, which it
// places at the enclosing object.
var requiredProperty = regexp.MustCompile(`^expected required property (\S+) to be present$`)

// describe summarizes field errors in one sentence.
func describe(fields []ProblemField) string {
	parts := make([]string, 0, len(fields))
	for _, f := range fields[:min(len(fields), maxProblemFields)] {
		parts = append(parts, strings.TrimSpace(f.Location+" "+f.Message))
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// writeProblem answers a problem outside huma (routing, authentication).
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
