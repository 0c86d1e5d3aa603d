// Command roster-bench is Roster's load tool: it seeds a deterministic
// dataset into a running server through the API, then loads it with
// permission checks (and, in mixed mode, role writes), reporting rates and
// latencies and every answer that disagrees with its model of the dataset.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roster-bench:", err)
		}
		os.Exit(2)
	}
}

// Run runs the tool with the command line args, writing its report to
// stdout and usage to stderr, until the load is done or ctx ends.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == bareCommand {
		return runBare(ctx, args[1:], stdout, stderr)
	}
	b := NewBench(stdout, stderr)
	if err := b.ParseFlags(args); err != nil {
		return err
	}
	defer b.Close()
	return b.Run(ctx)
}
