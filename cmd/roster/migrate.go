package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rosterhq/roster/sqlstore"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roster migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: roster migrate [flags] [up|status]\n\nup (the default) applies pending migrations; status lists them.")
		fs.PrintDefaults()
	}
	c := DefaultConfig()
	if err := c.bind(fs, os.Getenv); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	action := fs.Arg(0)
	if action == "" {
		action = "up"
	}
	if action != "up" && action != "status" || fs.NArg() > 1 {
		fs.Usage()
		return fmt.Errorf("unknown migrate action %q", fs.Args())
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	db, err := sqlstore.OpenUnmigrated(ctx, c.database())
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "status" {
		lines, err := db.MigrationStatus(ctx)
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		return err
	}
	applied, err := db.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(stdout, "the database is up to date")
	}
	return err
}
