package roster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IDPattern is the pattern every user and community id matches, as a regular
// expression a schema can carry: 1–128 of the characters below, but not "."
// or "..", which URLs cannot carry as a path segment (they are read as the
// directory itself, or its parent).
const IDPattern = `^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\.\.[A-Za-z0-9._:@-]{1,126})$`

// ValidID reports whether s is a well-formed user or community id: 1–128
// characters of A-Z a-z 0-9 . _ : @ -, but not "." or ".." (IDPattern,
// spelled out for speed).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// CheckID returns a validation error naming loc unless id is well-formed.
func CheckID(loc, id string) error {
	var f fields
	f.id(loc, id)
	return f.err()
}

// CheckIDs returns a validation error naming each malformed id of a list,
// located as loc[i].
func CheckIDs(loc string, ids []string) error {
	var f fields
	for i, id := range ids {
		f.id(fmt.Sprintf("%s[%d]", loc, i), id)
	}
	return f.err()
}

// fields collects the bad fields of an input.
type fields []FieldError

func (f *fields) add(loc, msg string, v any) {
	*f = append(*f, FieldError{Location: loc, Message: msg, Value: v})
}

// size checks that the list at loc holds 1 to max items (what they are),
// and reports whether it does.
func (f *fields) size(loc string, n, max int, what string) bool {
	if n == 0 || n > max {
		f.add(loc, fmt.Sprintf("must list 1 to %d %s", max, what), n)
		return false
	}
	return true
}

func (f *fields) id(loc, id string) {
	if !ValidID(id) {
		f.add(loc, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -", id)
	}
}

// name trims a required name and checks it: 1–100 characters, no control
// or format characters, and something to see.
func (f *fields) name(loc string, name *string) {
	*name = strings.TrimSpace(*name)
	if *name == "" {
		f.add(loc, "must not be empty", *name)
		return
	}
	n := len(*f)
	f.line(loc, *name)
	if len(*f) == n && NameKey(*name) == "" {
		f.add(loc, "must not be empty: it has only characters that show as nothing", *name)
	}
}

// line checks a one-line text: at most MaxNameLength characters, without
// control characters or format characters (Unicode category Cf: zero-width
// spaces and joiners, bidirectional overrides, a byte order mark), which
// let one name pass for another.
func (f *fields) line(loc, s string) {
	switch {
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.add(loc, "must not contain control characters", s)
	case strings.IndexFunc(s, isFormat) >= 0:
		f.add(loc, "must not contain format characters (such as zero-width spaces, bidirectional overrides or a byte order mark)", s)
	default:
		f.length(loc, s, MaxNameLength)
	}
}

// ValidText reports whether s is a text: valid UTF-8 without NUL
// characters, which no engine is made to store alike. Every string Roster
// stores or queries by is one.
func ValidText(s string) bool { return textProblem(s) == "" }

// textProblem says why s is not a text, or "".
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	}
	return ""
}

// length checks a text of at most max characters.
func (f *fields) length(loc, s string, max int) {
	if p := textProblem(s); p != "" {
		f.add(loc, p, s)
	} else if utf8.RuneCountInString(s) > max {
		f.add(loc, fmt.Sprintf("must be at most %d characters", max), s)
	}
}

// keys checks that each of a list of permission keys, located as loc[i],
// is well-formed: a malformed one is refused before any store reads it.
func (f *fields) keys(loc string, keys []string) {
	for i, k := range keys {
		if !ValidPermissionKey(k) {
			f.add(fmt.Sprintf("%s[%d]", loc, i), "must be an UPPER_SNAKE_CASE permission key", k)
		}
	}
}

// displayName trims an optional display name; it may be empty.
func (f *fields) displayName(loc string, name *string) {
	if name != nil {
		*name = strings.TrimSpace(*name)
		f.line(loc, *name)
	}
}

// colour checks an optional colour: #RRGGBB, or empty for none.
func (f *fields) colour(loc string, c *string) {
	if c != nil && *c != "" && !ValidColour(*c) {
		f.add(loc, "must be #RRGGBB or null", *c)
	}
}

// metadata checks a metadata value: absent, or a JSON object of at most
// MaxMetadataBytes.
func (f *fields) metadata(loc string, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	var obj map[string]json.RawMessage
	if len(m) > MaxMetadataBytes {
		f.add(loc, "must be at most 4096 bytes", nil)
	} else if !utf8.Valid(m) || json.Unmarshal(m, &obj) != nil || obj == nil {
		f.add(loc, "must be a JSON object", nil)
	}
}

// future checks that an optional time is after now.
func (f *fields) future(loc string, t *time.Time, now time.Time) {
	if t != nil && !t.After(now) {
		f.add(loc, "must be in the future", t)
	}
}

// err returns the validation error of the fields collected, or nil.
func (f fields) err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}

// CleanDisplayName trims a display name (nil for none) and checks it.
func CleanDisplayName(name *string) error {
	var f fields
	f.displayName("displayName", name)
	return f.err()
}

// CleanKeys returns the keys sorted with duplicates collapsed.
func CleanKeys(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
}
