package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Dataset is a generated authorization state for benchmarks: communities
// with roles, members holding some of them, and channels with overwrites.
// It is deterministic for a seed.
type Dataset struct {
	Communities, RolesPer, Users, Assignments, ChannelsPer int

	// roles[c][r] lists the permissions of custom role r of community c;
	// role 0 is everyone, role 1 admin.
	roles [][][]string
	// members[c] lists the users of community c; owners[c] is one of them.
	members [][]int32
	owners  []int32
	grants  []grantRow
	// channels[c][ch] lists the overwrites of channel ch of community c.
	channels [][][]roster.Overwrite
}

type grantRow struct {
	community, user, role int32
	expires               bool
}

// FullDataset is the size the performance targets are set for.
var FullDataset = Dataset{Communities: 1000, RolesPer: 100, Users: 100_000, Assignments: 1_000_000, ChannelsPer: 10}

// Ids of the generated dataset.
func CommunityID(c int) string { return fmt.Sprintf("c%05d", c) }
func UserID(u int) string      { return fmt.Sprintf("u%07d", u) }
func RoleID(c, r int) string   { return fmt.Sprintf("r%05d-%03d", c, r) }
func ChannelID(ch int) string  { return fmt.Sprintf("ch%02d", ch) }

// grantable are the keys custom roles draw from: the built-in ones but
// ADMINISTRATOR and those everyone already has.
var grantable = []string{
	roster.PermManageCommunity, roster.PermManageRoles, roster.PermManageChannels, roster.PermManageMembers,
	roster.PermBanMembers, roster.PermMuteMembers, roster.PermViewAuditLog, roster.PermManagePosts,
	roster.PermAttachFiles, roster.PermMentionEveryone, roster.PermCreateCommunity,
}

// Generate fills in the dataset from seed. Each user joins communities
// until the assignments are spread two per membership; each role grants 2
// or 3 keys, so that about half of the checks Queries draws are allowed.
func (d *Dataset) Generate(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	d.roles = make([][][]string, d.Communities)
	d.members = make([][]int32, d.Communities)
	d.owners = make([]int32, d.Communities)
	d.channels = make([][][]roster.Overwrite, d.Communities)
	for c := range d.roles {
		d.roles[c] = make([][]string, d.RolesPer)
		d.roles[c][0] = roster.CommunityEveryonePermissions
		d.roles[c][1] = []string{roster.PermAdministrator}
		for r := 2; r < d.RolesPer; r++ {
			d.roles[c][r] = pick(rng, grantable, 2+rng.IntN(2))
		}
	}
	memberships := max(d.Assignments/2, 1)
	joined := make(map[[2]int32]bool, memberships)
	d.grants = make([]grantRow, 0, d.Assignments)
	for len(d.grants) < d.Assignments {
		c, u := int32(rng.IntN(d.Communities)), int32(rng.IntN(d.Users))
		if joined[[2]int32{c, u}] {
			continue
		}
		joined[[2]int32{c, u}] = true
		d.members[c] = append(d.members[c], u)
		for j, r := range rng.Perm(d.RolesPer - 2)[:min(2, d.Assignments-len(d.grants))] {
			role := int32(r + 2)
			if j == 0 && rng.IntN(200) == 0 {
				role = 1
			}
			d.grants = append(d.grants, grantRow{community: c, user: u, role: role, expires: rng.IntN(100) == 0})
		}
	}
	for c := range d.channels {
		if len(d.members[c]) > 0 {
			d.owners[c] = d.members[c][rng.IntN(len(d.members[c]))]
		} else {
			d.owners[c] = -1
		}
		d.channels[c] = make([][]roster.Overwrite, d.ChannelsPer)
		for ch := range d.channels[c] {
			ows := []roster.Overwrite{{Type: roster.OverwriteRole, ID: RoleID(c, 0),
				Deny: pick(rng, roster.CommunityEveryonePermissions, 1), Allow: pick(rng, grantable, rng.IntN(2))}}
			for _, r := range rng.Perm(d.RolesPer - 2)[:min(2, d.RolesPer-2)] {
				ows = append(ows, roster.Overwrite{Type: roster.OverwriteRole, ID: RoleID(c, r+2),
					Allow: pick(rng, roster.CommunityEveryonePermissions, 1), Deny: pick(rng, grantable, 1)})
			}
			if len(d.members[c]) > 0 {
				u := d.members[c][rng.IntN(len(d.members[c]))]
				ows = append(ows, roster.Overwrite{Type: roster.OverwriteMember, ID: UserID(int(u)), Deny: pick(rng, grantable, 1)})
			}
			for i := range ows {
				ows[i].ChannelID = ChannelID(ch)
				ows[i].Deny = dropKeys(ows[i].Deny, ows[i].Allow)
			}
			d.channels[c][ch] = ows
		}
	}
}

// pick returns n distinct keys of from, sorted.
func pick(rng *rand.Rand, from []string, n int) []string {
	out := []string{}
	for _, i := range rng.Perm(len(from))[:n] {
		out = append(out, from[i])
	}
	return roster.CleanKeys(out)
}

func dropKeys(keys, drop []string) []string {
	out := []string{}
	for _, k := range keys {
		if !strings.Contains(strings.Join(drop, ","), k) {
			out = append(out, k)
		}
	}
	return out
}

// Send sends the dataset to sink in the order a ChangeLog loads state.
// Expiring grants end an hour after expiresFrom.
func (d *Dataset) Send(sink roster.StateSink, expiresFrom time.Time) {
	for _, k := range roster.BuiltinPermissions {
		sink.Permission(k)
	}
	for c := range d.roles {
		var owner *string
		if d.owners[c] >= 0 {
			o := UserID(int(d.owners[c]))
			owner = &o
		}
		sink.Community(roster.Community{ID: CommunityID(c), OwnerID: owner})
	}
	sink.Role(roster.Role{ID: "platform-everyone", Name: roster.BuiltinEveryone, Builtin: roster.BuiltinEveryone, Permissions: []string{}})
	sink.Role(roster.Role{ID: "platform-admin", Name: roster.BuiltinAdmin, Builtin: roster.BuiltinAdmin, Position: 1, Permissions: []string{roster.PermAdministrator}})
	for c, roles := range d.roles {
		for r, perms := range roles {
			d.sendRole(sink, c, r, perms)
		}
	}
	for c, users := range d.members {
		for _, u := range users {
			sink.Member(CommunityID(c), UserID(int(u)))
		}
	}
	expires := expiresFrom.Add(time.Hour)
	for _, g := range d.grants {
		a := roster.Assignment{UserID: UserID(int(g.user)), RoleID: RoleID(int(g.community), int(g.role)), Grant: roster.Grant{Source: roster.SourceManual}}
		if g.expires {
			a.ExpiresAt = &expires
		}
		sink.Grant(CommunityID(int(g.community)), a)
	}
	for c, channels := range d.channels {
		for ch, ows := range channels {
			sink.Channel(roster.Channel{CommunityID: CommunityID(c), ID: ChannelID(ch), Overwrites: ows})
		}
	}
}

func (d *Dataset) sendRole(sink roster.StateSink, c, r int, perms []string) {
	community := CommunityID(c)
	role := roster.Role{ID: RoleID(c, r), CommunityID: &community, Name: fmt.Sprintf("role %d", r), Permissions: perms}
	switch r {
	case 0:
		role.Name, role.Builtin = roster.BuiltinEveryone, roster.BuiltinEveryone
	case 1:
		role.Name, role.Builtin, role.Position = roster.BuiltinAdmin, roster.BuiltinAdmin, d.RolesPer-1
	default:
		role.Position = r - 1
	}
	sink.Role(role)
}

// Queries draws n checks uniformly over the dataset's memberships, with a
// permission drawn uniformly from the built-in keys, in a channel of the
// community for a share of them. Their ids are fresh strings laid out one
// after the other, as a stream of requests would hold them.
func (d *Dataset) Queries(seed uint64, n int, channelShare float64) []roster.Check {
	rng := rand.New(rand.NewPCG(seed, 7))
	var buf strings.Builder
	type span struct{ at, n int }
	spans := make([][4]span, n)
	add := func(s string) span {
		sp := span{buf.Len(), len(s)}
		buf.WriteString(s)
		return sp
	}
	for i := range spans {
		g := d.grants[rng.IntN(len(d.grants))]
		spans[i][0] = add(CommunityID(int(g.community)))
		spans[i][1] = add(UserID(int(g.user)))
		spans[i][2] = add(roster.BuiltinPermissions[rng.IntN(len(roster.BuiltinPermissions))])
		if d.ChannelsPer > 0 && rng.Float64() < channelShare {
			spans[i][3] = add(ChannelID(rng.IntN(d.ChannelsPer)))
		}
	}
	all := buf.String()
	str := func(sp span) string { return all[sp.at : sp.at+sp.n] }
	out := make([]roster.Check, n)
	for i, sp := range spans {
		out[i] = roster.Check{CommunityID: str(sp[0]), UserID: str(sp[1]), Permission: str(sp[2]), ChannelID: str(sp[3])}
	}
	return out
}
