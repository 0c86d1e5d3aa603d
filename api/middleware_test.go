package api

import (
	"regexp"
	"testing"
)

// FuzzValidRequestID checks that validRequestID keeps exactly the ids
// requestIDPattern, the pattern the OpenAPI document states, matches.
func FuzzValidRequestID(f *testing.F) {
	for _, id := range []string{"", "a", "my-request.1", "A:b_c-d.9", "has space", "é", "x\n", "a/b",
		"0123456789012345678901234567890123456789012345678901234567890123",
		"01234567890123456789012345678901234567890123456789012345678901234"} {
		f.Add(id)
	}
	pattern := regexp.MustCompile(requestIDPattern)
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validRequestID(id), pattern.MatchString(id); got != want {
			t.Errorf("validRequestID(%q): got %t, want %t", id, got, want)
		}
	})
}

// TestNewRequestID checks that a new id is well-formed and new.
func TestNewRequestID(t *testing.T) {
	t.Parallel()
	a, b := newRequestID(), newRequestID()
	if !validRequestID(a) || len(a) != 16 || a == b {
		t.Errorf("newRequestID: got %q then %q, want two different ids of 16 hex digits", a, b)
	}
}
