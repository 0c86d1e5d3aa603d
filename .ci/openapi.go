//go:build ignore

// Command openapi writes the OpenAPI document the server serves at
// /v1/openapi.json to standard output, for .ci/run to lint:
//
//	go run .ci/openapi.go > openapi.json
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/rosterhq/roster/api"
)

func main() {
	// The document is made from the routes alone: no store is needed.
	s := api.New(nil, api.Options{Log: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		fmt.Fprintf(os.Stderr, "openapi: GET /v1/openapi.json answered %d: %s\n", rec.Code, rec.Body)
		os.Exit(1)
	}
	os.Stdout.Write(rec.Body.Bytes())
}
