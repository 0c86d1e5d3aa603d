package client_test

import (
	"context"
	"log"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

// The README's example, compiled: a client, a write and a check with its
// revision, a refusal's code, and a list paged.
func Example() {
	ctx, key := context.Background(), "a key"
	c, err := client.New("http://127.0.0.1:8080", client.WithKey(key), client.WithReplicas("http://10.0.0.2:8080"))
	if err != nil {
		log.Fatal(err)
	}
	mod, _, err := c.CreateRole(ctx, "guild", roster.Role{Name: "Moderator", Permissions: []string{roster.PermManagePosts}})
	if err != nil {
		log.Fatal(err)
	}
	_, rev, err := c.AddRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "bob", RoleID: mod.ID})
	if roster.ErrorCode(err) == roster.EROLEHIERARCHY {
		log.Fatal("that role is above yours")
	}
	ok, _, err := c.Allowed(ctx, roster.Check{CommunityID: "guild", UserID: "bob", Permission: roster.PermManagePosts}, rev)
	log.Println(ok, err)
	for m, err := range client.All(0, func(p roster.Page) ([]roster.Member, string, error) {
		return c.ListMembers(ctx, "guild", roster.MemberFilter{}, p)
	}) {
		log.Println(m.UserID, err)
	}
}

// The README's follower, compiled: checks in the host's process, and
// read-your-writes.
func ExampleFollow() {
	ctx := context.Background()
	c, _ := client.New("http://127.0.0.1:8080", client.WithKey("a key"))
	f, err := client.Follow(ctx, c, client.FollowOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	_, rev, _ := c.AddRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "bob", RoleID: "mod"})
	if err := f.WaitFor(ctx, rev); err != nil {
		log.Fatal(err)
	}
	ok, at, err := f.Allowed(ctx, roster.Check{CommunityID: "guild", UserID: "bob", Permission: roster.PermManagePosts}, 0)
	log.Println(ok, at, err)
}
