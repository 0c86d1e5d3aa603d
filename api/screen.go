package api

import "net/http"

// screen reads each body through a requestBody.
func screen(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newRequestBody(w, r)
		next.ServeHTTP(w, r)
	})
}
