package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// maxProblemBytes bounds a problem document, whatever the request: 20
// field errors with short values, and a detail naming them.
const maxProblemBytes = 8 << 10

// withUnknown returns the JSON of body with n unknown members added.
func withUnknown(tb testing.TB, body jsonObj, n int) string {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	var s strings.Builder
	s.Write(b[:len(b)-1])
	for i := range n {
		if i > 0 || len(body) > 0 {
			s.WriteByte(',')
		}
		fmt.Fprintf(&s, `"f%d":1`, i)
	}
	s.WriteByte('}')
	return s.String()
}

// wantBounded checks that res lists the first 20 of total field errors,
// says how many there were, and is small.
func wantBounded(t *testing.T, res Res, total int) {
	t.Helper()
	if len(res.Raw) > maxProblemBytes {
		t.Fatalf("answer: got %d bytes, want at most %d whatever the input: %.300s", len(res.Raw), maxProblemBytes, res.Raw)
	}
	errs, _ := res.JSON["errors"].([]any)
	if len(errs) != 20 {
		t.Errorf("errors: got %d, want the first 20", len(errs))
	}
	if got, _ := res.JSON["errorCount"].(float64); int(got) != total {
		t.Errorf("errorCount: got %v, want %d", res.JSON["errorCount"], total)
	}
	if want := fmt.Sprintf("%d errors in all", total); !strings.Contains(res.Str("detail"), want) {
		t.Errorf("detail: got %q, want it to say %q", res.Str("detail"), want)
	}
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["value"] != nil {
			t.Errorf("errors: got value %.100v for unknown field %v, want none", m["value"], m["location"])
		}
	}
}

// TestManyUnknownFields sends every route with a body 1,500 unknown fields:
// the answer lists 20 of them, says how many there were, stays small, and
// changes nothing.
func TestManyUnknownFields(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		e := MustEnv(t, eng)
		fx := mustBadFix(t, e)
		for _, r := range badWriteRoutes(fx) {
			if r.body == nil {
				continue
			}
			t.Run(r.op, func(t *testing.T) {
				rev := e.Revision(t)
				res := e.Do(t, r.method, r.path, nil, Req{RawBody: withUnknown(t, r.body, 1500)})
				wantProblem(t, res, s422, vfailed, nil)
				wantBounded(t, res, 1500)
				if got := e.Revision(t); got != rev {
					t.Errorf("revision: got %d, want %d", got, rev)
				}
			})
		}
		t.Run("1000 malformed ids", func(t *testing.T) {
			ids := make([]string, 1000)
			for i := range ids {
				ids[i] = fmt.Sprintf("bad id %d %s", i, nChars(100))
			}
			rev := e.Revision(t)
			res := e.Do(t, "POST", "/v1/communities/guild/members/batch-add", jsonObj{"userIds": ids})
			wantProblem(t, res, s422, vfailed, nil)
			if len(res.Raw) > maxProblemBytes {
				t.Fatalf("answer: got %d bytes, want at most %d: %.300s", len(res.Raw), maxProblemBytes, res.Raw)
			}
			if got, _ := res.JSON["errorCount"].(float64); got != 1000 {
				t.Errorf("errorCount: got %v, want 1000", res.JSON["errorCount"])
			}
			if got := e.Revision(t); got != rev {
				t.Errorf("revision: got %d, want %d", got, rev)
			}
		})
	})
}

// TestUnknownFieldsProportional checks that the work an answer to unknown
// fields costs grows with the input, not with its square: four times the
// fields may cost at most ten times the memory allocated (the whole
// process's, the test running alone; memory rather than time, which other
// processes sway), where each field's error formatting the whole body cost
// sixteen times.
func TestUnknownFieldsProportional(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		e := MustEnv(t, eng)
		check := jsonObj{"checks": []jsonObj{{"communityId": "x", "userId": "bob", "permission": "VIEW_CHANNEL"}}}
		cost := func(n, runs int) uint64 {
			body := withUnknown(t, check, n)
			best := ^uint64(0)
			for range runs {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				res := e.Do(t, "POST", "/v1/check/batch", nil, Req{RawBody: body})
				runtime.ReadMemStats(&after)
				if res.Status != http.StatusUnprocessableEntity || len(res.Raw) > maxProblemBytes {
					t.Fatalf("%d unknown fields: got %d and %d bytes, want 422 and at most %d", n, res.Status, len(res.Raw), maxProblemBytes)
				}
				best = min(best, after.TotalAlloc-before.TotalAlloc)
			}
			return best
		}
		small, large := cost(1500, 3), cost(6000, 2)
		t.Logf("allocated: %d bytes for 1,500 unknown fields, %d for 6,000 (%.1fx)", small, large, float64(large)/float64(small))
		if large > 10*small {
			t.Errorf("allocated: got %d bytes for 6,000 unknown fields, over 10 times the %d for 1,500: the cost is not proportional", large, small)
		}
	})
}

// BenchmarkUnknownFields measures an answer to a check batch with unknown
// fields, per field, at 1,500 and 15,000 fields: proportional work keeps
// the two alike (ns/field).
func BenchmarkUnknownFields(b *testing.B) {
	e := MustEnv(b, sqltest.SQLite)
	check := jsonObj{"checks": []jsonObj{{"communityId": "x", "userId": "bob", "permission": "VIEW_CHANNEL"}}}
	for _, n := range []int{1500, 15000} {
		b.Run(fmt.Sprintf("fields=%d", n), func(b *testing.B) {
			body := withUnknown(b, check, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if res := e.Do(b, "POST", "/v1/check/batch", nil, Req{RawBody: body}); res.Status != http.StatusUnprocessableEntity {
					b.Fatalf("got %d, want 422", res.Status)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/field")
		})
	}
}
