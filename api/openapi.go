package api

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// upsertKey marks, in an operation's metadata, a PUT that creates or
// updates.
const upsertKey = "roster.upsert"

// upserting registers a PUT whose handler answers 201 when it creates and
// 200 when it updates (upserted); describeAnswers documents both.
func upserting[I, T any](api huma.API, o huma.Operation, handler func(context.Context, *I) (*upserted[T], error)) {
	if o.Metadata == nil {
		o.Metadata = map[string]any{}
	}
	o.Metadata[upsertKey] = true
	huma.Register(api, o, handler)
}

// alwaysSent are the response headers an answer type declares that are
// sent with every answer of that type (huma leaves out only empty strings,
// and these are never empty): the document marks them required.
var alwaysSent = map[string]bool{
	"Roster-Revision": true,
	"ETag":            true,
}

// The parameters and headers every operation or answer of their kind has
// are components, referred to by name.
var (
	requestIDParam  = &huma.Param{Ref: "#/components/parameters/X-Request-Id"}
	actAsParam      = &huma.Param{Ref: "#/components/parameters/Roster-Act-As"}
	requestIDHeader = &huma.Header{Ref: "#/components/headers/X-Request-Id"}
	authHeader      = &huma.Header{Ref: "#/components/headers/WWW-Authenticate"}
)

// components adds the shared parameters and headers to the document's
// components.
func components(c *huma.Components) {
	requestID := func() *huma.Schema {
		return &huma.Schema{Type: huma.TypeString, Pattern: requestIDPattern, MinLength: ptr(1), MaxLength: ptr(64)}
	}
	c.Parameters = map[string]*huma.Param{
		// observe
		"X-Request-Id": {
			Name: "X-Request-Id", In: "header", Schema: requestID(),
			Description: "An id for the request, answered back in X-Request-Id and written in the server's log line; " +
				"one that does not match the pattern is replaced by a new id.",
		},
		// admit
		"Roster-Act-As": {
			Name: "Roster-Act-As", In: "header",
			Schema: &huma.Schema{Type: huma.TypeString, Pattern: roster.IDPattern, MinLength: ptr(1), MaxLength: ptr(roster.MaxIDLength)},
			Description: "Act as this user: the guards then check the user's own roles. Only a key created with " +
				"actAs may send it (403 insufficient_scope otherwise).",
		},
	}
	c.Headers = map[string]*huma.Header{
		"X-Request-Id": {
			Required: true, Schema: requestID(),
			Description: "The request's id: the client's X-Request-Id when well-formed, else a new one. " +
				"Problems repeat it as requestId, and the server logs it.",
		},
		"WWW-Authenticate": {
			Required: true, Schema: &huma.Schema{Type: huma.TypeString, Examples: []any{`Bearer realm="roster"`}},
			Description: "How to authenticate: with a Bearer key.",
		},
	}
}

// describeAnswers completes what huma documents of an operation's answers
// (an OnAddOperation hook): the 201 of an upserting PUT beside its 200, the
// headers every answer carries, which headers are always sent, and which
// problem codes each error status may carry.
func describeAnswers(_ *huma.OpenAPI, o *huma.Operation) {
	if up, _ := o.Metadata[upsertKey].(bool); up {
		ok := o.Responses["200"]
		o.Responses["201"] = &huma.Response{Description: "Created", Content: ok.Content, Headers: maps.Clone(ok.Headers)}
		ok.Description = "Updated: it existed"
	}
	for status, r := range o.Responses {
		if r.Headers == nil {
			r.Headers = map[string]*huma.Header{}
		}
		for name, h := range r.Headers {
			if alwaysSent[name] {
				h.Required = true
			}
			if h.Description == "" && h.Schema != nil {
				h.Description = h.Schema.Description
			}
		}
		r.Headers["X-Request-Id"] = requestIDHeader
		code, err := strconv.Atoi(status)
		if err != nil || code < 400 {
			continue
		}
		if code == http.StatusUnauthorized {
			r.Headers["WWW-Authenticate"] = authHeader
		}
		if c := codesOf[code]; len(c) > 0 {
			r.Description = http.StatusText(code) + ". Problem codes of this status: " + strings.Join(c, ", ") + "."
		}
	}
}

// codesOf lists, for each status, the problem codes answered with it,
// sorted.
var codesOf = func() map[int][]string {
	out := map[int][]string{}
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		out[statuses[code]] = append(out[statuses[code]], code)
	}
	return out
}()
