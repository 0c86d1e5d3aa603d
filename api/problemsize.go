package api

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"
)

// A problem's size is bounded, whatever the request: it lists at most
// maxProblemFields bad inputs (saying how many there were in all), and a
// field's value is echoed only when small.
const (
	maxProblemFields = 20
	// maxValueBytes bounds a field's value as echoed: a longer string is
	// cut, and a longer array or object is left out.
	maxValueBytes = 128
)

// bound cuts the problem's field errors to the first maxProblemFields,
// recording how many there were in ErrorCount and in Detail, and shrinks
// their values.
func (p *Problem) bound() {
	if n := len(p.Errors); n > maxProblemFields {
		p.ErrorCount = n
		p.Errors = p.Errors[:maxProblemFields:maxProblemFields]
		p.Detail += fmt.Sprintf(" (%d errors in all; the first %d are listed)", n, maxProblemFields)
	}
	for i := range p.Errors {
		p.Errors[i].Value = smallValue(p.Errors[i].Value)
	}
}

// smallValue returns v if it is small enough to echo in a field error: a
// string is cut to about maxValueBytes (marked with "…"), and an array, an
// object or any other value whose JSON would be longer is dropped.
func smallValue(v any) any {
	switch v := v.(type) {
	case nil, bool, int, int64, float64, json.Number:
		return v
	case string:
		return cutString(v, maxValueBytes)
	case *string:
		if v == nil {
			return nil
		}
		return cutString(*v, maxValueBytes)
	case map[string]any, []any:
		if jsonFits(v, maxValueBytes) {
			return v
		}
		return nil
	}
	// Other values come from Roster's own code (times, ids, lists of
	// keys): they are echoed when their JSON is small.
	b, err := json.Marshal(v)
	if err != nil || len(b) > maxValueBytes {
		return nil
	}
	return v
}

// cutString cuts s to at most max bytes at a character boundary, marking
// the cut with "…".
func cutString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// jsonFits reports whether the JSON of a decoded JSON value (maps, slices,
// strings, numbers, booleans, null) is at most budget bytes, looking at no
// more of it than that.
func jsonFits(v any, budget int) bool {
	return jsonSize(v, budget) <= budget
}

// jsonSize estimates the bytes of v's JSON, stopping once past budget (the
// result is then only known to exceed it).
func jsonSize(v any, budget int) int {
	switch v := v.(type) {
	case nil:
		return 4
	case bool:
		return 5
	case float64, int, int64, json.Number:
		return len(fmt.Sprint(v))
	case string:
		return len(v) + 2
	case []any:
		n := 2
		for _, x := range v {
			if n > budget {
				return n
			}
			n += jsonSize(x, budget-n) + 1
		}
		return n
	case map[string]any:
		n := 2
		for k, x := range v {
			if n > budget {
				return n
			}
			n += len(k) + 4 + jsonSize(x, budget-n)
		}
		return n
	}
	return budget + 1
}

// plainMessage is the message of an error huma reports that names no
// field. An error that does is read through its ErrorDetail instead: its
// Error() would print its value, which for an unknown field is the whole
// enclosing object, once per unknown field.
func plainMessage(err error) string {
	if _, ok := err.(huma.ErrorDetailer); ok {
		return ""
	}
	return err.Error()
}

// detailValue is the value to echo for one of huma's field errors. For an
// unknown property, huma's value is the enclosing object, not the
// property's: the location already names it, so there is none.
func detailValue(d *huma.ErrorDetail) any {
	if d.Message == validation.MsgUnexpectedProperty {
		return nil
	}
	return d.Value
}
