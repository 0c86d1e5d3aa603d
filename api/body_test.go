package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// scanWhole reports what textScan finds wrong with body read in pieces of
// the given sizes (the rest in one piece), or "".
func scanWhole(body []byte, pieces ...int) string {
	var s textScan
	var off int64
	for _, n := range pieces {
		n = min(n, len(body)-int(off))
		if bad := s.scan(body[off:off+int64(n)], off); bad != "" {
			return bad
		}
		off += int64(n)
	}
	if bad := s.scan(body[off:], off); bad != "" {
		return bad
	}
	return s.end(int64(len(body)))
}

var textCases = []struct {
	body string
	bad  bool
}{
	{`{"name": "Mod"}`, false},
	{`{"name": "Modérateur 😀 モデ"}`, false},
	{`{"name": "\ud83d\ude00", "x": "\uD83D\uDE00"}`, false},
	{`{"name": "\u00e9\u0041\uffff\ufffd"}`, false},
	{`{"name": "a\\ud800"}`, false},
	{`{"name": "a\\\\\\ud800"}`, false},
	{`{"name": "\\\ud800"}`, true},
	{`{"name": "\ud800"}`, true},
	{`{"name": "\udbff\u0041"}`, true},
	{`{"name": "\ud800\ud800\udc00"}`, true},
	{`{"name": "\udc00"}`, true},
	{`{"name": "\ud800\n"}`, true},
	{`{"name": "\ud800`, true},
	{"{\"name\": \"\xff\"}", true},
	{"{\"name\": \"\xc3\"}", true},
	{"{\"name\": \"\xed\xa0\x80\"}", true},
	{"{\"name\": \"\xf4\x90\x80\x80\"}", true},
	{"{\"name\": \"\xe2\x82", true},
	{"{\"name\": \"\xf0\x9f\x98\x80\"}", false},
	{`{"name": "\u12"}`, false}, // not JSON: the decoder's to refuse
}

// TestTextScan checks textScan's verdict on bodies read whole, and read in
// two pieces cut at every byte, and a byte at a time.
func TestTextScan(t *testing.T) {
	for _, tc := range textCases {
		body := []byte(tc.body)
		if got := scanWhole(body) != ""; got != tc.bad {
			t.Errorf("%q: refused %v, want %v (%s)", tc.body, got, tc.bad, scanWhole(body))
			continue
		}
		for cut := range len(body) + 1 {
			if got := scanWhole(body, cut) != ""; got != tc.bad {
				t.Errorf("%q cut at %d: refused %v, want %v", tc.body, cut, got, tc.bad)
			}
		}
		ones := make([]int, len(body))
		for i := range ones {
			ones[i] = 1
		}
		if got := scanWhole(body, ones...) != ""; got != tc.bad {
			t.Errorf("%q a byte at a time: refused %v, want %v", tc.body, got, tc.bad)
		}
	}
}

// FuzzTextScan checks that the verdict does not depend on how the body is
// cut, and that a body it lets through decodes without U+FFFD, unless the
// body itself has one.
func FuzzTextScan(f *testing.F) {
	for _, tc := range textCases {
		f.Add([]byte(tc.body), uint16(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		whole := scanWhole(body)
		if got := scanWhole(body, int(cut)%(len(body)+1)); (got == "") != (whole == "") {
			t.Fatalf("%q cut at %d: got %q, want %q", body, cut, got, whole)
		}
		if whole != "" || bytes.Contains(body, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		if b, _ := json.Marshal(v); bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(b, []byte(`\ufffd`)) {
			t.Fatalf("%q: let through, yet decodes to U+FFFD: %s", body, b)
		}
	})
}

// deadlines is a ResponseWriter that records the read deadlines set.
type deadlines struct {
	http.ResponseWriter
	set []time.Time
}

func (d *deadlines) SetReadDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// TestRequestBody checks that a body read to its end, or until it fails,
// lifts the read deadline once, and that failures are the client's.
func TestRequestBody(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   io.Reader
		size   int64
		detail string
	}{
		{"whole", strings.NewReader(`{"name": "x"}`), 13, ""},
		{"cut short", io.MultiReader(strings.NewReader(`{"na`), iotest.ErrReader(io.ErrUnexpectedEOF)), 13, "ended after 4 of the 13 bytes"},
		{"failing", iotest.ErrReader(errors.New("connection reset")), -1, "could not be read"},
		{"not UTF-8", strings.NewReader("{\"name\": \"\xff\"}"), 13, "not valid UTF-8 (at byte 10)"},
		{"lone surrogate", iotest.OneByteReader(strings.NewReader(`{"name": "\udfff"}`)), 13, "surrogate pair (at byte 10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &deadlines{ResponseWriter: httptest.NewRecorder()}
			r := httptest.NewRequest("POST", "/", tc.body)
			r.ContentLength = tc.size
			newRequestBody(w, r)
			_, err := io.ReadAll(r.Body)
			var b *bodyError
			switch {
			case tc.detail == "" && err != nil:
				t.Errorf("read: got %v, want none", err)
			case tc.detail != "" && (!errors.As(err, &b) || !strings.Contains(b.detail, tc.detail)):
				t.Errorf("read: got %v, want a bodyError saying %q", err, tc.detail)
			}
			if len(w.set) != 1 || !w.set[0].IsZero() {
				t.Errorf("read deadlines set: got %v, want one, lifting it", w.set)
			}
			// As huma does after the lean check path read the body: set
			// a deadline, and read the body again.
			w.set = append(w.set, time.Now().Add(5*time.Second))
			if _, again := r.Body.Read(make([]byte, 1)); tc.detail != "" && again != err {
				t.Errorf("read again: got %v, want %v", again, err)
			}
			if last := w.set[len(w.set)-1]; !last.IsZero() {
				t.Errorf("read deadline after reading again: got %v, want it lifted", last)
			}
		})
	}
}
