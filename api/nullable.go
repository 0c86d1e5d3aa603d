package api

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

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
