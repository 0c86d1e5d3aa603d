package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

// Exit codes of the client commands.
const (
	exitRefused     = 1 // the server refused (a problem answer)
	exitUsage       = 2 // the command line is wrong
	exitUnreachable = 3 // no server answered
	// exitInterrupted is a shell's for a command ended by SIGINT.
	exitInterrupted = 130
)

// cli is one run of a client command: where it writes, and the client
// its flags and profile make.
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	// url, key and profile are the global flags; output the -o flag.
	url, key, profile, output string
	// community is -c, for the commands of one community; platform is
	// --platform, for those of roles at platform scope.
	community string
	platform  bool
	c         *client.Client
	// roleLists are the roles of the scopes read, by scope, for names.
	roleLists map[string][]roster.Role
}

// usageError is a mistake on the command line.
type usageError struct{ error }

// exitCode is the exit code of a client command's error.
func exitCode(err error) int {
	var un *client.Unreachable
	var ue usageError
	var re *roster.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &un):
		return exitUnreachable
	case errors.As(err, &re):
		return exitRefused
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitUsage
}

// explain is the error line of a client command: the code and what to do.
func explain(err error) string {
	var un *client.Unreachable
	var re *roster.Error
	switch {
	case errors.As(err, &un):
		return fmt.Sprintf("roster: no Roster server answers at %s: start one (roster serve), or give its address with --url or ROSTER_URL", un.URL)
	case errors.As(err, &re):
		hint := map[string]string{
			roster.EUNAUTHENTICATED:   "sign in again: roster login",
			roster.EINSUFFICIENTSCOPE: "use a key with more scopes",
			roster.EMISSINGPERMISSION: "act as someone who holds it, or use a key acting as itself",
			roster.EROLEHIERARCHY:     "only roles below your highest can be changed",
			roster.EVALIDATION:        "fix the fields named and run it again",
			roster.ERATELIMITED:       "wait and run it again",
		}[re.Code]
		line := fmt.Sprintf("roster: %s: %s", re.Code, re.Message)
		for _, f := range re.Fields {
			line += fmt.Sprintf("\n  %s: %s", f.Location, f.Message)
		}
		if hint != "" {
			line += "\n  (" + hint + ")"
		}
		return line
	}
	return "roster: " + err.Error()
}

// runCLI runs a client command and returns its exit code.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	x := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := x.root()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "roster: interrupted")
		return exitInterrupted
	}
	if exitCode(err) == exitUsage {
		fmt.Fprintln(stderr, "roster:", err)
		if cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	}
	fmt.Fprintln(stderr, explain(err))
	return exitCode(err)
}

// root is the command tree of the client commands.
func (x *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "roster",
		Short:         "Roles & permissions for community platforms",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch x.output {
			case "table", "json", "yaml":
			default:
				return usageError{fmt.Errorf("-o %q: want table, json or yaml", x.output)}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&x.url, "url", "", "the server's URL (default: the profile's, or $ROSTER_URL)")
	pf.StringVar(&x.key, "key", "", "the API key (default: the profile's, or $ROSTER_KEY)")
	pf.StringVar(&x.profile, "profile", "default", "the profile of roster login to use")
	pf.StringVarP(&x.output, "output", "o", "table", "table, json or yaml")
	root.AddCommand(x.login(), x.permissions(), x.communities(), x.users(), x.members(), x.roles(), x.channels(), x.checkCmd(), x.explainCmd(),
		x.audit(), x.keys(), x.webhooks())
	return root
}

// profile is what roster login keeps of a server.
type profile struct {
	URL string `json:"url"`
	Key string `json:"key"`
}

// profilesFile is where the profiles are: roster/profiles.json in the
// user's config directory, readable by them alone.
func profilesFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "roster", "profiles.json"), nil
}

func readProfiles() (map[string]profile, error) {
	file, err := profilesFile()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]profile{}, nil
	}
	if err != nil {
		return nil, err
	}
	profiles := map[string]profile{}
	if err := json.Unmarshal(data, &profiles); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return profiles, nil
}

// client returns the client of the flags, environment and profile, made
// once.
func (x *cli) client() (*client.Client, error) {
	if x.c != nil {
		return x.c, nil
	}
	url, key := x.url, x.key
	if url == "" {
		url = os.Getenv("ROSTER_URL")
	}
	if key == "" {
		key = os.Getenv("ROSTER_KEY")
	}
	if url == "" || key == "" {
		profiles, err := readProfiles()
		if err != nil {
			return nil, err
		}
		// A profile's key goes to its own server alone.
		if p := profiles[x.profile]; url == "" || url == p.URL {
			url, key = cmp(url, p.URL), cmp(key, p.Key)
		}
	}
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	if key == "" {
		return nil, usageError{errors.New("no API key: run roster login, or give --key or ROSTER_KEY")}
	}
	c, err := client.New(url, client.WithKey(key))
	if err != nil {
		return nil, usageError{err}
	}
	x.c = c
	return c, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// needCommunity returns -c, or a usage error.
func (x *cli) needCommunity() (string, error) {
	if x.community == "" {
		return "", usageError{errors.New("which community? give -c COMMUNITY")}
	}
	return x.community, nil
}

// needScope returns the scope of -c or --platform, or a usage error.
func (x *cli) needScope() (string, error) {
	switch {
	case x.platform && x.community != "":
		return "", usageError{errors.New("give -c COMMUNITY or --platform, not both")}
	case x.platform:
		return roster.Platform, nil
	}
	return x.needCommunity()
}

// print writes v as -o says: JSON, YAML, or the table of rows (a header
// row, then one per item).
func (x *cli) print(v any, table func() [][]string) error {
	switch x.output {
	case "json":
		enc := json.NewEncoder(x.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		data, err := json.Marshal(v)
		if err == nil {
			data, err = yaml.JSONToYAML(data)
		}
		if err != nil {
			return err
		}
		_, err = x.stdout.Write(data)
		return err
	}
	w := tabwriter.NewWriter(x.stdout, 2, 8, 2, ' ', 0)
	for _, row := range table() {
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	return w.Flush()
}

// args checks a command's arguments, as a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
