package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

func (x *cli) channels() *cobra.Command {
	ls := x.inCommunity(x.run("ls", "List a community's channels", cobra.NoArgs, func(c *client.Client, _ []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		chs, _, err := c.ListChannels(x.ctx, cid, roster.Page{Limit: roster.MaxChannelsPerCommunity})
		if err != nil {
			return err
		}
		return x.print(chs, func() [][]string {
			rows := [][]string{{"ID", "NAME", "OVERWRITES"}}
			for _, ch := range chs {
				rows = append(rows, []string{ch.ID, ch.Name, fmt.Sprint(len(ch.Overwrites))})
			}
			return rows
		})
	}))
	put := x.inCommunity(x.run("put ID [NAME]", "Create a channel, or rename it", cobra.RangeArgs(1, 2), func(c *client.Client, a []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		ch := roster.Channel{CommunityID: cid, ID: a[0]}
		if len(a) > 1 {
			ch.Name = a[1]
		}
		_, _, err = c.PutChannel(x.ctx, ch)
		return err
	}))
	rm := x.inCommunity(x.run("rm ID", "Delete a channel and its overwrites", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needCommunity()
		if err != nil {
			return err
		}
		_, err = c.DeleteChannel(x.ctx, cid, a[0])
		return err
	}))
	var allow, deny []string
	var member bool
	overwrite := func(use, short string, clear bool) *cobra.Command {
		cmd := x.inCommunity(x.run(use, short, cobra.ExactArgs(2), func(c *client.Client, a []string) error {
			cid, err := x.needCommunity()
			if err != nil {
				return err
			}
			o := roster.Overwrite{ChannelID: a[0], Type: roster.OverwriteRole, ID: a[1], Allow: allow, Deny: deny}
			if member {
				o.Type = roster.OverwriteMember
			} else if o.ID, err = x.roleID(c, cid, a[1]); err != nil {
				return err
			}
			if clear {
				_, err = c.DeleteOverwrite(x.ctx, cid, o)
			} else {
				_, _, err = c.SetOverwrite(x.ctx, cid, o)
			}
			return err
		}))
		cmd.Flags().BoolVar(&member, "member", false, "the target is a member (a user id), not a role")
		return cmd
	}
	set := overwrite("overwrite CHANNEL ROLE", "Set the overwrite of a role (or --member) in a channel", false)
	set.Flags().StringSliceVar(&allow, "allow", nil, "permissions it allows there")
	set.Flags().StringSliceVar(&deny, "deny", nil, "permissions it denies there")
	unset := overwrite("unoverwrite CHANNEL ROLE", "Remove the overwrite of a role (or --member) from a channel", true)
	return group("channels", "A community's channels and their overwrites", ls, put, rm, set, unset)
}

func (x *cli) webhooks() *cobra.Command {
	var events []string
	ls := x.run("ls", "List the webhook endpoints", cobra.NoArgs, func(c *client.Client, _ []string) error {
		hooks, _, err := c.ListWebhooks(x.ctx, roster.Page{Limit: roster.MaxWebhooks})
		if err != nil {
			return err
		}
		return x.print(hooks, func() [][]string {
			rows := [][]string{{"ID", "URL", "EVENTS", "COMMUNITY", "ENABLED"}}
			for _, h := range hooks {
				rows = append(rows, []string{h.ID, h.URL, cmp(strings.Join(h.Events, ","), "all"), cmp(deref(h.CommunityID), "all"), fmt.Sprint(h.Enabled)})
			}
			return rows
		})
	})
	create := x.inCommunity(x.run("create URL", "Create a webhook endpoint; its signing secret is printed once", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		w := roster.Webhook{URL: a[0], Events: events, Enabled: true}
		if x.community != "" {
			w.CommunityID = &x.community
		}
		w, _, err := c.CreateWebhook(x.ctx, w)
		if err != nil {
			return err
		}
		return x.print(w, func() [][]string {
			return [][]string{{"Created webhook", w.ID}, {"Signing secret (shown once)", w.Secret}}
		})
	}))
	create.Flags().StringSliceVar(&events, "event", nil, "an action, or a prefix such as member. (repeat; all when none)")
	rm := x.run("rm ID", "Delete a webhook endpoint", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		_, err := c.DeleteWebhook(x.ctx, a[0])
		return err
	})
	return group("webhooks", "Webhook endpoints", ls, create, rm)
}

// batch adds and removes roles from a CSV of user,role[,add|remove] lines
// (a file, or - for stdin), in batches of roster.MaxBatch users per role,
// with a progress bar on stderr when it takes over a second.
func (x *cli) batch() *cobra.Command {
	cmd := x.inScope(x.run("batch FILE", "Add or remove roles from a CSV of user,role[,add|remove] lines (- for stdin)", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		cid, err := x.needScope()
		if err != nil {
			return err
		}
		in := x.stdin
		if a[0] != "-" {
			f, err := os.Open(a[0])
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			in = f
		}
		type group struct {
			role   string
			remove bool
		}
		users := map[group][]string{}
		var order []group
		r := csv.NewReader(in)
		r.FieldsPerRecord = -1
		total := 0
		for line := 1; ; line++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || len(rec) < 2 || len(rec) > 3 || len(rec) == 3 && rec[2] != "add" && rec[2] != "remove" {
				return usageError{fmt.Errorf("%s line %d: want user,role[,add|remove]", a[0], line)}
			}
			id, err := x.roleID(c, cid, strings.TrimSpace(rec[1]))
			if err != nil {
				return err
			}
			g := group{role: id, remove: len(rec) == 3 && rec[2] == "remove"}
			if _, ok := users[g]; !ok {
				order = append(order, g)
			}
			users[g] = append(users[g], strings.TrimSpace(rec[0]))
			total++
		}
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(x.stderr), progressbar.OptionSetDescription("roles"),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		start := time.Now()
		counts := map[string]int{}
		for _, g := range order {
			list := users[g]
			for i := 0; i < len(list); i += roster.MaxBatch {
				part := list[i:min(i+roster.MaxBatch, len(list))]
				do := c.AddRoles
				if g.remove {
					do = c.RemoveRoles
				}
				res, _, err := do(x.ctx, roster.Change{Scope: cid, UserIDs: part, RoleIDs: []string{g.role}})
				if err != nil {
					return err
				}
				for _, p := range res {
					counts[p.Result]++
				}
				if time.Since(start) > time.Second {
					bar.Add(len(part))
				}
			}
		}
		bar.Finish()
		return x.print(counts, func() [][]string {
			rows := [][]string{{"RESULT", "PAIRS"}}
			for _, o := range []string{roster.Added, roster.AlreadyHeld, roster.Removed, roster.Retained, roster.Kept, roster.NotHeld} {
				if counts[o] > 0 {
					rows = append(rows, []string{o, fmt.Sprint(counts[o])})
				}
			}
			return rows
		})
	}))
	return cmd
}

func (x *cli) permissions() *cobra.Command {
	ls := x.run("ls", "List the permission catalog", cobra.NoArgs, func(c *client.Client, _ []string) error {
		var all []roster.Permission
		for p, err := range client.All(roster.MaxPageLimit, func(p roster.Page) ([]roster.Permission, string, error) {
			return c.ListPermissions(x.ctx, p)
		}) {
			if err != nil {
				return err
			}
			all = append(all, p)
		}
		return x.print(all, func() [][]string {
			rows := [][]string{{"KEY", "CATEGORY", "DESCRIPTION"}}
			for _, p := range all {
				rows = append(rows, []string{p.Key, roster.PermissionCategory(p.Key), p.Description})
			}
			return rows
		})
	})
	create := x.run("create KEY [DESCRIPTION]", "Register a permission key of your own", cobra.RangeArgs(1, 2), func(c *client.Client, a []string) error {
		p := roster.Permission{Key: a[0]}
		if len(a) > 1 {
			p.Description = a[1]
		}
		_, _, err := c.CreatePermission(x.ctx, p)
		return err
	})
	rm := x.run("rm KEY", "Unregister a permission key no role or overwrite names", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		_, err := c.DeletePermission(x.ctx, a[0])
		return err
	})
	return group("permissions", "The permission catalog", ls, create, rm)
}

func (x *cli) users() *cobra.Command {
	get := x.run("get USER", "A user's record", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		u, err := c.FindUser(x.ctx, a[0])
		if err != nil {
			return err
		}
		return x.print(u, func() [][]string { return [][]string{{"USER", "NAME"}, {u.ID, u.DisplayName}} })
	})
	memberships := x.run("memberships USER", "The communities a user belongs to, with their roles there", cobra.ExactArgs(1), func(c *client.Client, a []string) error {
		var all []roster.Membership
		for m, err := range client.All(0, func(p roster.Page) ([]roster.Membership, string, error) {
			return c.ListMemberships(x.ctx, a[0], p)
		}) {
			if err != nil {
				return err
			}
			all = append(all, m)
		}
		return x.print(all, func() [][]string {
			rows := [][]string{{"COMMUNITY", "ROLES"}}
			for _, m := range all {
				var roles []string
				for _, h := range m.Member.Roles {
					roles = append(roles, h.Name)
				}
				rows = append(rows, []string{m.Community.ID, strings.Join(roles, ", ")})
			}
			return rows
		})
	})
	return group("users", "Users and their communities", get, memberships)
}
