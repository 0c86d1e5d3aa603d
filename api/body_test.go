package api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

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
