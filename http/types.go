package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// Scoped is embedded in the inputs of operations under a community or the
// platform scope: it reads the communityId path parameter when the route has
// one (the platform scope otherwise). The parameter itself is documented by op.
type Scoped struct {
	scope string
}

// Resolve implements huma.Resolver.
func (s *Scoped) Resolve(ctx huma.Context) []error {
	if !strings.Contains(ctx.Operation().Path, "{communityId}") {
		s.scope = roster.Platform
		return nil
	}
	s.scope = ctx.Param("communityId")
	if err := roster.CheckID("path.communityId", s.scope); err != nil {
		return []error{err}
	}
	return nil
}

// PageParams are the query parameters of every list.
type PageParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Items per page, 1-1000."`
	Cursor string `query:"cursor" maxLength:"512" doc:"The nextCursor of the previous page."`
}

func (p PageParams) page() roster.Page { return roster.Page{Limit: p.Limit, Cursor: p.Cursor} }

// List is a page of a list.
type List[T any] struct {
	Items []T `json:"items"`
	// NextCursor is absent on the last page.
	NextCursor string `json:"nextCursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page."`
}

type listOutput[T any] struct {
	Body List[T]
}

func listOf[T any](items []T, next string, err error) (*listOutput[T], error) {
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []T{}
	}
	return &listOutput[T]{Body: List[T]{Items: items, NextCursor: next}}, nil
}

// written is the answer of a write without a body.
type written struct {
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
}

// answer is the answer of a write with a body.
type answer[T any] struct {
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
	Body     T
}

func wrote[T any](body T, rev roster.Revision, err error) (*answer[T], error) {
	if err != nil {
		return nil, err
	}
	return &answer[T]{Revision: int64(rev), Body: body}, nil
}

func wroteNothing(rev roster.Revision, err error) (*written, error) {
	if err != nil {
		return nil, err
	}
	return &written{Revision: int64(rev)}, nil
}

// upserted is the answer of a PUT that creates or updates: 201 or 200.
type upserted[T any] struct {
	Status   int
	Revision int64 `header:"Roster-Revision" doc:"The revision the change is visible at."`
	Body     T
}

func upsert[T any](v T, created bool, rev roster.Revision, err error) (*upserted[T], error) {
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &upserted[T]{Status: status, Revision: int64(rev), Body: v}, nil
}

// body is the answer of a read.
type body[T any] struct {
	Body T
}

func read[T any](v T, err error) (*body[T], error) {
	if err != nil {
		return nil, err
	}
	return &body[T]{Body: v}, nil
}

// Nullable is a field of a PATCH body that may be absent (no change), null
// (remove the value) or a value.
type Nullable[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(b, []byte("null")) {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// Schema documents the field as its value's type, or null.
func (n Nullable[T]) Schema(r huma.Registry) *huma.Schema {
	s := r.Schema(reflect.TypeOf(n.Value), true, "")
	s.Nullable = true
	return s
}

// clearable maps a nullable string to the domain's convention for updates:
// nil when absent, the empty string when null.
func clearable(n Nullable[string]) *string {
	switch {
	case !n.Set:
		return nil
	case n.Null:
		return ptr("")
	}
	return ptr(n.Value)
}

// ifMatch parses an If-Match header holding a role version: 3, "3" or W/"3".
func ifMatch(h string) (int, error) {
	if h == "" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, roster.Invalid(roster.FieldError{Location: "header.If-Match", Message: "must be a role version, such as 3", Value: h})
	}
	return n, nil
}
