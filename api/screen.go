package api

import "net/http"

// screen refuses a malformed query string before any route reads it, and
// reads each body through a requestBody, released once the request is
// answered.
func screen(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := queryProblem(r.Context(), r.URL.RawQuery); p != nil {
			writeProblem(w, p)
			return
		}
		body := newRequestBody(w, r)
		next.ServeHTTP(w, r)
		if body != nil {
			body.release()
		}
	})
}
