package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/rosterhq/roster"
)

func version(w io.Writer) error {
	_, err := fmt.Fprintf(w, "roster %s (%s)\n", roster.Version, runtime.Version())
	return err
}
