// Command roster is Roster's one binary: the server, its database
// migrations, and its version.
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

const usage = `Roster: roles & permissions for community platforms.

Usage:
  roster serve [flags]            run the server (see roster serve -h)
  roster migrate [up|status]      apply or list database migrations
  roster version                  print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roster:", err)
		}
		os.Exit(2)
	}
}

// Run runs the command line args, writing to stdout and stderr, until ctx
// ends (for serve) or the command is done.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		m := NewServe(stdout, stderr)
		if err := m.ParseFlags(args[1:]); err != nil {
			return err
		}
		defer m.Close()
		return m.Run(ctx)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "version":
		return version(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
