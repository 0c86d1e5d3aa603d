package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
)

// queryProblem returns the problem of a malformed query string, or nil. Go
// parses a query leniently: it drops a pair it cannot decode, and a
// parameter given twice is read as its first value. Roster refuses both,
// since either makes the request mean something other than what was sent:
// a pair with a malformed percent-escape (or a ';', which Go no longer
// takes for '&'), and any parameter given more than once, no parameter
// of the API taking several values. Each is 400 invalid_query, located at
// query.<name>, or at query when the name itself cannot be read.
func queryProblem(ctx context.Context, raw string) *Problem {
	if raw == "" {
		return nil
	}
	var fields []ProblemField
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		switch {
		case err != nil:
			fields = append(fields, ProblemField{Location: "query", Message: "has a parameter name that is not valid percent-encoding", Value: pair})
			continue
		case strings.Contains(rawKey, ";"):
			fields = append(fields, ProblemField{Location: "query", Message: "must not contain ';' (separate parameters with '&', and escape a ';' as %3B)", Value: pair})
			continue
		case strings.Contains(rawValue, ";"):
			fields = append(fields, ProblemField{Location: "query." + key, Message: "must not contain ';' (separate parameters with '&', and escape a ';' as %3B)", Value: rawValue})
		case invalidEscape(rawValue):
			fields = append(fields, ProblemField{Location: "query." + key, Message: "is not valid percent-encoding", Value: rawValue})
		case seen[key]:
			fields = append(fields, ProblemField{Location: "query." + key, Message: "must be given at most once"})
		}
		seen[key] = true
	}
	if len(fields) == 0 {
		return nil
	}
	f := fields[0]
	detail := "the query string is malformed: " + f.Location + " " + f.Message
	if len(fields) > 1 {
		detail += fmt.Sprintf(", and %d more", len(fields)-1)
	}
	return newProblem(ctx, roster.EINVALIDQUERY, detail, fields)
}

// invalidEscape reports whether s has a '%' not followed by two hex digits.
func invalidEscape(s string) bool {
	_, err := url.QueryUnescape(s)
	return err != nil
}
