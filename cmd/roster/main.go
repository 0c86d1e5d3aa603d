// Command roster is Roster's one binary: the server, its database
// migrations, its version, and the client commands for every resource.
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
  roster login                    keep a server's URL and key as a profile
  roster COMMAND --help           the client commands: communities, members,
                                  roles, check, explain, audit, keys, completion
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs the command line and returns its exit code: the server's
// commands exit 2 on any error; the client commands 1 when the server
// refused, 2 for a wrong command line and 3 when no server answered.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve", "migrate", "version", "help", "-h", "--help":
		default:
			return runCLI(ctx, args, stdin, stdout, stderr)
		}
	}
	if err := Run(ctx, args, stdout, stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "roster:", err)
		}
		return exitUsage
	}
	return 0
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
