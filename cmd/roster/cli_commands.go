package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

// login keeps a server's URL and key as a profile.
func (x *cli) login() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Keep a server's URL and API key as a profile (the key from --key-file, $ROSTER_KEY or a prompt; never echoed)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := cmp(x.url, cmp(os.Getenv("ROSTER_URL"), "http://127.0.0.1:8080"))
			key := cmp(x.key, os.Getenv("ROSTER_KEY"))
			if keyFile != "" {
				data, err := os.ReadFile(keyFile)
				if err != nil {
					return usageError{err}
				}
				key = strings.TrimSpace(string(data))
			}
			if key == "" {
				fmt.Fprint(x.stderr, "API key: ")
				var err error
				if f, ok := x.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					var b []byte
					b, err = term.ReadPassword(int(f.Fd()))
					key = string(b)
					fmt.Fprintln(x.stderr)
				} else {
					key, err = bufio.NewReader(x.stdin).ReadString('\n')
				}
				if key = strings.TrimSpace(key); key == "" {
					return usageError{fmt.Errorf("no API key given: %v", err)}
				}
			}
			c, err := client.New(url, client.WithKey(key))
			if err != nil {
				return usageError{err}
			}
			// The key must work before it is kept (a key that may only
			// check is refused the list, but is a key).
			if _, _, err := c.ListCommunities(x.ctx, roster.CommunityFilter{}, roster.Page{Limit: 1}); err != nil && roster.ErrorCode(err) != roster.EINSUFFICIENTSCOPE {
				return err
			}
			profiles, err := readProfiles()
			if err != nil {
				return err
			}
			profiles[x.profile] = profile{URL: url, Key: key}
			file, _ := profilesFile()
			data, _ := json.MarshalIndent(profiles, "", "  ")
			if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(file, data, 0o600); err != nil {
				return err
			}
			if err := os.Chmod(file, 0o600); err != nil { // a file made before keeps its mode
				return err
			}
			fmt.Fprintf(x.stdout, "Signed in to %s as profile %s.\n", url, x.profile)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "read the key from this file")
	return cmd
}

// group is a command of subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args(cobra.NoArgs), RunE: func(cmd *cobra.Command, _ []string) error {
		return usageError{fmt.Errorf("%s needs a subcommand", cmd.CommandPath())}
	}}
	cmd.AddCommand(subs...)
	return cmd
}

// run makes a subcommand whose body uses the client.
func (x *cli) run(use, short string, check cobra.PositionalArgs, body func(c *client.Client, a []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: args(check), RunE: func(_ *cobra.Command, a []string) error {
		c, err := x.client()
		if err != nil {
			return err
		}
		return body(c, a)
	}}
}

// inCommunity adds -c to the command, completed with community ids.
func (x *cli) inCommunity(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().StringVarP(&x.community, "community", "c", "", "the community")
	cmd.RegisterFlagCompletionFunc("community", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return x.completeCommunities(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// inScope adds -c and --platform to a command of roles.
func (x *cli) inScope(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&x.platform, "platform", false, "the platform scope's roles, not a community's")
	return x.inCommunity(cmd)
}

func (x *cli) completeCommunities() []string {
	c, err := x.client()
	if err != nil {
		return nil
	}
	var out []string
	for com, err := range client.All(0, func(p roster.Page) ([]roster.Community, string, error) {
		return c.ListCommunities(x.ctx, roster.CommunityFilter{}, p)
	}) {
		if err != nil {
			break
		}
		out = append(out, com.ID+"\t"+com.Name)
	}
	return out
}

func (x *cli) communities() *cobra.Command {
	var owner, search string
	ls := x.run("ls", "List the communities", cobra.NoArgs, func(c *client.Client, _ []string) error {
		var all []roster.Community
		for com, err := range client.All(0, func(p roster.Page) ([]roster.Community, string, error) {
			return c.ListCommunities(x.ctx, roster.CommunityFilter{Search: search}, p)
		}) {
			if err != nil {
				return err
			}
			all = append(all, com)
		}
		return x.print(all, func() [][]string {
			rows := [][]string{{"ID", "NAME", "OWNER"}}
			for _, com := range all {
				rows = append(rows, []string{com.ID, com.Name, deref(com.OwnerID)})
			}
			return rows
		})
	})
	ls.Flags().StringVar(&search, "search", "", "only those whose name holds this, or whose id begins with it")
	create := x.run("create ID NAME", "Create a community", cobra.ExactArgs(2), func(c *client.Client, a []string) error {
		com := roster.Community{ID: a[0], Name: a[1]}
		if owner != "" {
			com.OwnerID = &owner
		}
		com, _, err := c.CreateCommunity(x.ctx, com)
		if err != nil {
			return err
		}
		return x.print(com, func() [][]string { return [][]string{{"Created community", com.ID}} })
	})
	create.Flags().StringVar(&owner, "owner", "", "the owner, who becomes its first member")
	rm := x.run("rm ID", "Delete a community and all it holds", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		_, err := c.DeleteCommunity(x.ctx, a[0])
		return err
	})
	return group("communities", "Communities", ls, create, rm)
}

func (x *cli) members() *cobra.Command {
	var search, role string
	ls := x.inCommunity(x.run("ls", "List a community's members", cobra.NoArgs, func(c *client.Client, _ []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		f := roster.MemberFilter{Search: search}
		if role != "" {
			if f.RoleID, err = x.roleID(c, cid, role); err != nil {
				return err
			}
		}
		var all []roster.Member
		for m, err := range client.All(0, func(p roster.Page) ([]roster.Member, string, error) {
			return c.ListMembers(x.ctx, cid, f, p)
		}) {
			if err != nil {
				return err
			}
			all = append(all, m)
		}
		return x.print(all, func() [][]string {
			rows := [][]string{{"USER", "NAME", "ROLES"}}
			for _, m := range all {
				var roles []string
				for _, h := range m.Roles {
					roles = append(roles, h.Name)
				}
				rows = append(rows, []string{m.UserID, m.DisplayName, strings.Join(roles, ", ")})
			}
			return rows
		})
	}))
	ls.Flags().StringVar(&search, "search", "", "only those whose name holds this, or whose id begins with it")
	ls.Flags().StringVar(&role, "role", "", "only those holding this role (its name or id)")
	var name string
	add := x.inCommunity(x.run("add USER...", "Add members, all or none (or one, with --name, or set their name)", cobra.MinimumNArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		if name != "" {
			if len(a) != 1 {
				return usageError{errors.New("--name names one member")}
			}
			m, _, err := c.AddMember(x.ctx, cid, a[0], &name)
			if err != nil {
				return err
			}
			result := roster.AlreadyMember
			if m.Created {
				result = roster.Joined
			}
			return x.print([]roster.JoinResult{{UserID: a[0], Result: result}}, func() [][]string {
				return [][]string{{"USER", "RESULT"}, {a[0], result}}
			})
		}
		res, _, err := c.AddMembers(x.ctx, cid, a)
		if err != nil {
			return err
		}
		return x.print(res, func() [][]string {
			rows := [][]string{{"USER", "RESULT"}}
			for _, r := range res {
				rows = append(rows, []string{r.UserID, r.Result})
			}
			return rows
		})
	}))
	add.Flags().StringVar(&name, "name", "", "the member's display name in the community")
	rm := x.inCommunity(x.run("rm USER", "Remove a member and their roles", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		_, err = c.RemoveMember(x.ctx, cid, a[0])
		return err
	}))
	return group("members", "A community's members", ls, add, rm)
}

// roleID resolves a role named by its id, or by its name (ignoring case).
// The scope's roles are read once per command.
func (x *cli) roleID(c *client.Client, scope, name string) (string, error) {
	roles, ok := x.roleLists[scope]
	if !ok {
		var err error
		if roles, _, err = c.ListRoles(x.ctx, scope, roster.Page{Limit: roster.MaxRolesPerScope}); err != nil {
			return "", err
		}
		if x.roleLists == nil {
			x.roleLists = map[string][]roster.Role{}
		}
		x.roleLists[scope] = roles
	}
	for _, r := range roles {
		if r.ID == name || r.Builtin == name {
			return r.ID, nil
		}
	}
	for _, r := range roles {
		if strings.EqualFold(r.Name, name) {
			return r.ID, nil
		}
	}
	return "", &roster.Error{Code: roster.EROLENOTFOUND, Message: fmt.Sprintf("no role %q in %s", name, scope)}
}

func (x *cli) roles() *cobra.Command {
	var perms []string
	var colour, description string
	var force, badge, onJoin bool
	var expires time.Duration
	// completeRoles completes role names; users first, for the commands
	// whose first argument is a user.
	completeRoles := func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 && strings.Contains(cmd.Use, "USER ROLE") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := x.client()
		scope, serr := x.needScope()
		if err != nil || serr != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		roles, _, _ := c.ListRoles(x.ctx, scope, roster.Page{Limit: roster.MaxRolesPerScope})
		var out []string
		for _, r := range roles {
			out = append(out, r.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	ls := x.inScope(x.run("ls", "List a community's roles, top first", cobra.NoArgs, func(c *client.Client, _ []string) error {
		cid, err := x.needScope()
		if err != nil {
			return err
		}
		roles, _, err := c.ListRoles(x.ctx, cid, roster.Page{Limit: roster.MaxRolesPerScope})
		if err != nil {
			return err
		}
		for i, j := 0, len(roles)-1; i < j; i, j = i+1, j-1 {
			roles[i], roles[j] = roles[j], roles[i]
		}
		return x.print(roles, func() [][]string {
			rows := [][]string{{"POSITION", "ID", "NAME", "PERMISSIONS"}}
			for _, r := range roles {
				rows = append(rows, []string{strconv.Itoa(r.Position), r.ID, r.Name, strings.Join(r.Permissions, ",")})
			}
			return rows
		})
	}))
	create := x.inScope(x.run("create NAME", "Create a role", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needScope()
		if err != nil {
			return err
		}
		r := roster.Role{Name: a[0], Permissions: perms, Badge: badge, IsDefault: onJoin, Description: description}
		if colour != "" {
			r.Colour = &colour
		}
		r, _, err = c.CreateRole(x.ctx, cid, r)
		if err != nil {
			return err
		}
		return x.print(r, func() [][]string { return [][]string{{"Created role", r.ID, r.Name}} })
	}))
	create.Flags().StringSliceVarP(&perms, "perm", "p", nil, "a permission it grants (repeat, or comma-separate)")
	create.Flags().StringVar(&colour, "colour", "", "#RRGGBB")
	create.Flags().StringVar(&description, "description", "", "what the role is for")
	create.Flags().BoolVar(&badge, "badge", false, "shown as a badge by the host")
	create.Flags().BoolVar(&onJoin, "on-join", false, "given to every member who joins")
	rm := x.inScope(x.run("rm ROLE", "Delete a role", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needScope()
		if err != nil {
			return err
		}
		id, err := x.roleID(c, cid, a[0])
		if err == nil {
			_, err = c.DeleteRole(x.ctx, cid, id, roster.RoleDelete{Force: force})
		}
		return err
	}))
	rm.Flags().BoolVar(&force, "force", false, "take it from its holders too")
	rm.ValidArgsFunction = completeRoles
	reorder := x.inScope(x.run("reorder ROLE...", "Set the order of every role but everyone, bottom to top", cobra.MinimumNArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needScope()
		if err != nil {
			return err
		}
		var ids []string
		for _, name := range a {
			id, err := x.roleID(c, cid, name)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		_, _, err = c.ReorderRoles(x.ctx, cid, ids)
		return err
	}))
	reorder.ValidArgsFunction = completeRoles
	change := func(use, short string, remove bool) *cobra.Command {
		cmd := x.inScope(x.run(use, short, cobra.MinimumNArgs(2), func(c *client.Client, a []string) error {
			cid, err := x.needScope()
			if err != nil {
				return err
			}
			ch := roster.Change{Scope: cid, UserIDs: a[:1]}
			for _, name := range a[1:] {
				id, err := x.roleID(c, cid, name)
				if err != nil {
					return err
				}
				ch.RoleIDs = append(ch.RoleIDs, id)
			}
			if expires > 0 && !remove {
				at := time.Now().Add(expires)
				ch.ExpiresAt = &at
			}
			do := c.AddRoles
			if remove {
				do = c.RemoveRoles
			}
			res, _, err := do(x.ctx, ch)
			if err != nil {
				return err
			}
			return x.print(res, func() [][]string {
				rows := [][]string{{"USER", "ROLE", "RESULT"}}
				for _, r := range res {
					rows = append(rows, []string{r.UserID, r.RoleID, r.Result})
				}
				return rows
			})
		}))
		cmd.ValidArgsFunction = completeRoles
		return cmd
	}
	add := change("add USER ROLE...", "Give a member roles (by name or id)", false)
	add.Flags().DurationVar(&expires, "for", 0, "end the grants after this long, such as 72h")
	remove := change("remove USER ROLE...", "Take roles from a member", true)
	return group("roles", "Roles, their order, and who holds them", ls, create, rm, reorder, add, remove, x.batch())
}

func (x *cli) checkCmd() *cobra.Command {
	var channel string
	var min int64
	cmd := x.inCommunity(x.run("check USER PERMISSION", "May the user do this? (in -c COMMUNITY, or at platform scope)", cobra.ExactArgs(2), func(c *client.Client, a []string) error {
		ok, rev, err := c.Allowed(x.ctx, roster.Check{CommunityID: x.community, ChannelID: channel, UserID: a[0], Permission: a[1]}, roster.Revision(min))
		if err != nil {
			return err
		}
		out := map[string]any{"allowed": ok, "revision": rev}
		return x.print(out, func() [][]string {
			if ok {
				return [][]string{{"allowed", "at revision " + strconv.FormatInt(int64(rev), 10)}}
			}
			return [][]string{{"denied", "at revision " + strconv.FormatInt(int64(rev), 10)}}
		})
	}))
	cmd.Flags().StringVar(&channel, "channel", "", "in this channel of the community")
	cmd.Flags().Int64Var(&min, "min-revision", 0, "answer from state at least this recent")
	return cmd
}

func (x *cli) explainCmd() *cobra.Command {
	var channel string
	cmd := x.inCommunity(x.run("explain USER", "A user's effective permissions, and why", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		eff, _, err := c.EffectivePermissions(x.ctx, x.community, channel, a[0])
		if err != nil {
			return err
		}
		return x.print(eff, func() [][]string {
			rows := [][]string{{"PERMISSION", "BECAUSE OF"}}
			for _, p := range eff.Permissions {
				var why []string
				for _, r := range eff.Explain[p] {
					why = append(why, reasonText(r))
				}
				rows = append(rows, []string{p, strings.Join(why, ", ")})
			}
			return rows
		})
	}))
	cmd.Flags().StringVar(&channel, "channel", "", "in this channel of the community")
	return cmd
}

func reasonText(r roster.Reason) string {
	switch r.Kind {
	case roster.ReasonOwner:
		return "ownership"
	case roster.ReasonAdministrator:
		return "ADMINISTRATOR from " + r.RoleName
	case roster.ReasonOverwrite:
		if r.UserID != "" {
			return r.Effect + " overwrite for member " + r.UserID
		}
		return r.Effect + " overwrite for " + r.RoleName
	}
	return "role " + r.RoleName
}

func (x *cli) audit() *cobra.Command {
	var action, actor string
	var limit int
	var follow bool
	eventRows := func(events []roster.Event) [][]string {
		rows := [][]string{{"REVISION", "AT", "ACTOR", "ACTION", "TARGET"}}
		for _, e := range events {
			who := cmp(e.Actor.UserID, "key "+e.Actor.KeyID)
			rows = append(rows, []string{strconv.FormatInt(int64(e.Revision), 10), e.At.UTC().Format(time.RFC3339), who, e.Action, e.TargetType + " " + e.TargetID})
		}
		return rows
	}
	ls := x.inCommunity(x.run("ls", "Read the audit log, newest first", cobra.NoArgs, func(c *client.Client, _ []string) error {
		events, _, err := c.ListEvents(x.ctx, roster.EventFilter{CommunityID: x.community, Action: action, Actor: actor, Newest: true}, roster.Page{Limit: limit})
		if err != nil {
			return err
		}
		return x.print(events, func() [][]string { return eventRows(events) })
	}))
	ls.Flags().IntVar(&limit, "limit", 20, "how many")
	tail := x.inCommunity(x.run("tail", "Print the change stream's new events (-f: as they come, until interrupted)", cobra.NoArgs, func(c *client.Client, _ []string) error {
		after, err := c.CurrentRevision(x.ctx)
		if err != nil {
			return err
		}
		f := roster.EventFilter{CommunityID: x.community, Action: action, Actor: actor}
		for {
			wait := time.Duration(0)
			if follow {
				wait = 30 * time.Second
			}
			page, err := c.Follow(x.ctx, f, after, roster.MaxPageLimit, wait)
			if x.ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			for _, e := range page.Events {
				if x.output == "table" {
					row := eventRows([]roster.Event{e})[1]
					fmt.Fprintln(x.stdout, strings.Join(row, "  "))
				} else if err := x.print(e, nil); err != nil {
					return err
				}
			}
			after = page.Next
			if !follow {
				return nil
			}
		}
	}))
	tail.Flags().BoolVarP(&follow, "follow", "f", false, "go on, printing events as they come")
	for _, cmd := range []*cobra.Command{ls, tail} {
		cmd.Flags().StringVar(&action, "action", "", "only this action, or a prefix such as member.")
		cmd.Flags().StringVar(&actor, "actor", "", "only by this key or user id")
	}
	return group("audit", "The audit log and the change stream", ls, tail)
}

func (x *cli) keys() *cobra.Command {
	var scopes []string
	var actAs bool
	ls := x.run("ls", "List the API keys", cobra.NoArgs, func(c *client.Client, _ []string) error {
		keys, _, err := c.ListAPIKeys(x.ctx, roster.Page{Limit: roster.MaxPageLimit})
		if err != nil {
			return err
		}
		return x.print(keys, func() [][]string {
			rows := [][]string{{"ID", "NAME", "SCOPES", "COMMUNITY", "STATE"}}
			for _, k := range keys {
				state := "live"
				if k.RevokedAt != nil {
					state = "revoked"
				}
				rows = append(rows, []string{k.ID, k.Name, strings.Join(k.Scopes, ","), cmp(deref(k.CommunityID), "all"), state})
			}
			return rows
		})
	})
	create := x.inCommunity(x.run("create NAME", "Create an API key; its secret is printed once", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		k := roster.APIKey{Name: a[0], Scopes: scopes, ActAs: actAs}
		if x.community != "" {
			k.CommunityID = &x.community
		}
		k, _, err := c.CreateAPIKey(x.ctx, k)
		if err != nil {
			return err
		}
		return x.print(k, func() [][]string {
			return [][]string{{"Created key", k.ID}, {"Secret (shown once)", k.Secret}}
		})
	}))
	create.Flags().StringSliceVar(&scopes, "scope", []string{roster.ScopeRead}, "check, read, write or admin (repeat, or comma-separate)")
	create.Flags().BoolVar(&actAs, "act-as", false, "let it act as users (Roster-Act-As)")
	revoke := x.run("revoke ID", "Revoke an API key", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		_, err := c.RevokeAPIKey(x.ctx, a[0])
		return err
	})
	return group("keys", "API keys", ls, create, revoke)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
