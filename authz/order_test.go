package authz

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// refusal is one rule of a decision: the code it refuses with, and a change
// of facts the decision lets through that makes the rule refuse. Where two
// rules share a code, says is a word of the rule's message that tells it
// apart.
type refusal[F any] struct {
	code string
	make func(*F)
	says string
}

// testOrder checks that a decision names the first rule that refuses, in
// the order the refusals are listed (SPEC §3's): from facts it lets
// through, each refusal alone makes it refuse with its code, and every
// combination of refusals is refused with the first one's code (and word).
func testOrder[F any](t *testing.T, pass F, decide func(F) error, refusals ...refusal[F]) {
	t.Helper()
	if err := decide(pass); err != nil {
		t.Fatalf("the passing facts are refused: %v", err)
	}
	apply := func(set int) F {
		f := pass
		for i, r := range refusals {
			if set&(1<<i) != 0 {
				r.make(&f)
			}
		}
		return f
	}
	for set := 1; set < 1<<len(refusals); set++ {
		first := 0
		for set&(1<<first) == 0 {
			first++
		}
		r, err := refusals[first], decide(apply(set))
		if code(err) != r.code || !strings.Contains(fmt.Sprint(err), r.says) {
			t.Errorf("refusals %b: got %v, want %s %q (refusal %d, the first)", set, err, r.code, r.says, first)
		}
	}
}

// clone gives a test's facts slices of their own, so that one refusal's
// change does not leak into the passing facts.
func clone[T any](s []T) []T { return slices.Clone(s) }

// manager is a user with MANAGE_ROLES, MANAGE_CHANNELS, MANAGE_MEMBERS,
// MANAGE_COMMUNITY and SEND_MESSAGES whose highest role is at 5.
var manager = Subject{User: "manager", Top: 5, Perms: perms(roster.PermManageRoles, roster.PermManageChannels, roster.PermManageMembers,
	roster.PermManageCommunity, roster.PermSendMessages)}

// powerless takes every permission away from the actor.
func powerless(s *Subject) { s.Perms = perms() }

func TestCreateRoleOrder(t *testing.T) {
	testOrder(t, CreateRoleFacts{Actor: manager, Position: 3, Roles: 10, Permissions: []string{roster.PermSendMessages}}, CreateRole,
		refusal[CreateRoleFacts]{roster.EVALIDATION, func(f *CreateRoleFacts) { f.Position = -1 }, ""},
		refusal[CreateRoleFacts]{roster.EMISSINGPERMISSION, func(f *CreateRoleFacts) { powerless(&f.Actor) }, ""},
		refusal[CreateRoleFacts]{roster.EROLEHIERARCHY, func(f *CreateRoleFacts) { f.Actor.Top = 1 }, ""},
		refusal[CreateRoleFacts]{roster.ECANNOTGRANT, func(f *CreateRoleFacts) { f.Permissions = []string{roster.PermBanMembers} }, ""},
		refusal[CreateRoleFacts]{roster.ELIMITREACHED, func(f *CreateRoleFacts) { f.Roles = roster.MaxRolesPerScope }, ""},
	)
}

func TestUpdateRoleOrder(t *testing.T) {
	role := RoleFacts{ID: "r", Position: 2, Permissions: []string{roster.PermSendMessages}, Version: 4}
	testOrder(t, UpdateRoleFacts{Actor: manager, Role: role, Roles: 10, IfVersion: 4}, UpdateRole,
		refusal[UpdateRoleFacts]{roster.EVALIDATION, func(f *UpdateRoleFacts) { f.Edit.Position = intp(50) }, ""},
		refusal[UpdateRoleFacts]{roster.EMISSINGPERMISSION, func(f *UpdateRoleFacts) { powerless(&f.Actor) }, ""},
		refusal[UpdateRoleFacts]{roster.EROLEHIERARCHY, func(f *UpdateRoleFacts) { f.Role.Position = 7 }, ""},
		refusal[UpdateRoleFacts]{roster.ECANNOTGRANT, func(f *UpdateRoleFacts) { f.Edit.Permissions = []string{roster.PermBanMembers} }, ""},
		refusal[UpdateRoleFacts]{roster.EROLEPROTECTED, func(f *UpdateRoleFacts) {
			f.Role.Builtin, f.Role.Protected, f.Edit.Rename = roster.BuiltinAdmin, true, true
		}, ""},
		refusal[UpdateRoleFacts]{roster.EVERSIONMISMATCH, func(f *UpdateRoleFacts) { f.IfVersion = 3 }, ""},
	)
}

func TestDeleteRoleOrder(t *testing.T) {
	testOrder(t, DeleteRoleFacts{Actor: manager, Role: RoleFacts{ID: "r", Position: 2, Version: 1}}, DeleteRole,
		refusal[DeleteRoleFacts]{roster.EMISSINGPERMISSION, func(f *DeleteRoleFacts) { powerless(&f.Actor) }, ""},
		refusal[DeleteRoleFacts]{roster.EROLEHIERARCHY, func(f *DeleteRoleFacts) { f.Role.Position = 9 }, ""},
		refusal[DeleteRoleFacts]{roster.EROLEPROTECTED, func(f *DeleteRoleFacts) { f.Role.Builtin, f.Role.Protected = roster.BuiltinAdmin, true }, ""},
		refusal[DeleteRoleFacts]{roster.EROLEINUSE, func(f *DeleteRoleFacts) { f.Holders = 3 }, ""},
		refusal[DeleteRoleFacts]{roster.EVERSIONMISMATCH, func(f *DeleteRoleFacts) { f.IfVersion = 2 }, ""},
	)
}

func TestReorderRolesOrder(t *testing.T) {
	roles := []RoleFacts{{ID: "r1", Position: 1}, {ID: "r2", Position: 2}, {ID: "r3", Position: 3}}
	reorder := func(f ReorderRolesFacts) error { _, err := ReorderRoles(f); return err }
	testOrder(t, ReorderRolesFacts{Actor: manager, Roles: roles, IDs: []string{"r2", "r1", "r3"}}, reorder,
		refusal[ReorderRolesFacts]{roster.EVALIDATION, func(f *ReorderRolesFacts) { f.IDs = []string{"r2", "r1"} }, ""},
		refusal[ReorderRolesFacts]{roster.EMISSINGPERMISSION, func(f *ReorderRolesFacts) { powerless(&f.Actor) }, ""},
		refusal[ReorderRolesFacts]{roster.EROLEHIERARCHY, func(f *ReorderRolesFacts) { f.Actor.Top = 1 }, ""},
	)
}

func TestAddRolesOrder(t *testing.T) {
	add := func(f ChangeFacts) error { _, err := AddRoles(f); return err }
	pass := ChangeFacts{Actor: manager, Source: roster.SourceManual, HasOwner: true, Pairs: []Pair{{User: "bob", Role: rLow}}}
	testOrder(t, pass, add,
		refusal[ChangeFacts]{roster.ESOURCENOTALLOWED, func(f *ChangeFacts) { f.Source = roster.SourceProvisioning }, ""},
		refusal[ChangeFacts]{roster.EMISSINGPERMISSION, func(f *ChangeFacts) { powerless(&f.Actor) }, ""},
		refusal[ChangeFacts]{roster.EROLEHIERARCHY, func(f *ChangeFacts) { f.Pairs = append(clone(f.Pairs), Pair{User: "carol", Role: rAbove}) }, ""},
		refusal[ChangeFacts]{roster.EROLENOTASSIGNABLE, func(f *ChangeFacts) { f.Pairs = append(clone(f.Pairs), Pair{User: "dave", Role: rEveryone}) }, ""},
	)
}

func TestRemoveRolesOrder(t *testing.T) {
	remove := func(f ChangeFacts) error { _, err := RemoveRoles(f); return err }
	// admin sits below the manager's highest role here, so that only the
	// refusals that mean to touch the hierarchy do.
	low := RoleFacts{ID: "r-admin", Position: 3, Builtin: roster.BuiltinAdmin, Protected: true}
	man := []roster.Source{roster.SourceManual}
	pass := ChangeFacts{Actor: manager, Single: true, Source: roster.SourceManual, AdminHolders: []string{"alice", "bob"},
		Pairs: []Pair{{User: "bob", Role: rLow, Held: man}}}
	with := func(p Pair) func(*ChangeFacts) {
		return func(f *ChangeFacts) { f.Pairs = append(clone(f.Pairs), p) }
	}
	testOrder(t, pass, remove,
		refusal[ChangeFacts]{roster.ESOURCENOTALLOWED, func(f *ChangeFacts) { f.Source = roster.SourceProvisioning }, ""},
		refusal[ChangeFacts]{roster.EROLENOTHELD, with(Pair{User: "carol", Role: rBan}), ""},
		refusal[ChangeFacts]{roster.ECANNOTREMOVEADMIN, with(Pair{User: manager.User, Role: low, Held: man}), ""},
		refusal[ChangeFacts]{roster.EMISSINGPERMISSION, func(f *ChangeFacts) { powerless(&f.Actor) }, ""},
		refusal[ChangeFacts]{roster.EROLEHIERARCHY, with(Pair{User: "dave", Role: rAbove, Held: man}), ""},
		refusal[ChangeFacts]{roster.EROLENOTASSIGNABLE, with(Pair{User: "erin", Role: rEveryone}), ""},
		refusal[ChangeFacts]{roster.EGRANTEDBYSOURCE, with(Pair{User: "gina", Role: rLow, Held: []roster.Source{roster.SourceProvisioning}}), ""},
		refusal[ChangeFacts]{roster.ELASTADMIN, func(f *ChangeFacts) {
			f.AdminHolders = []string{"alice"}
			f.Pairs = append(clone(f.Pairs), Pair{User: "alice", Role: low, Held: man})
		}, ""},
	)
}

// TestRemoveRolesBatchOrder checks a batch removal's order of refusals
// with a pair held only through provisioning among them: that pair is kept
// and refuses nothing, so granted_by_source never answers, and the other
// rules keep their order.
func TestRemoveRolesBatchOrder(t *testing.T) {
	low := RoleFacts{ID: "r-admin", Position: 3, Builtin: roster.BuiltinAdmin, Protected: true}
	man, prov := []roster.Source{roster.SourceManual}, []roster.Source{roster.SourceProvisioning}
	pass := ChangeFacts{Actor: manager, Source: roster.SourceManual, AdminHolders: []string{"alice", "bob"},
		Pairs: []Pair{{User: "bob", Role: rLow, Held: man}, {User: "gina", Role: rLow, Held: prov}, {User: "carol", Role: rBan}}}
	out, err := RemoveRoles(pass)
	if want := []string{roster.Removed, roster.Kept, roster.NotHeld}; err != nil || !slices.Equal(out, want) {
		t.Fatalf("the passing batch: got %v, %v, want %v", out, err, want)
	}
	with := func(p Pair) func(*ChangeFacts) {
		return func(f *ChangeFacts) { f.Pairs = append(clone(f.Pairs), p) }
	}
	remove := func(f ChangeFacts) error { _, err := RemoveRoles(f); return err }
	testOrder(t, pass, remove,
		refusal[ChangeFacts]{roster.ESOURCENOTALLOWED, func(f *ChangeFacts) { f.Source = roster.SourceProvisioning }, ""},
		refusal[ChangeFacts]{roster.ECANNOTREMOVEADMIN, with(Pair{User: manager.User, Role: low, Held: prov}), ""},
		refusal[ChangeFacts]{roster.EMISSINGPERMISSION, func(f *ChangeFacts) { powerless(&f.Actor) }, ""},
		refusal[ChangeFacts]{roster.EROLEHIERARCHY, with(Pair{User: "dave", Role: rAbove, Held: prov}), ""},
		refusal[ChangeFacts]{roster.EROLENOTASSIGNABLE, with(Pair{User: "erin", Role: rEveryone}), ""},
		refusal[ChangeFacts]{roster.ELASTADMIN, func(f *ChangeFacts) {
			f.AdminHolders = []string{"alice"}
			f.Pairs = append(clone(f.Pairs), Pair{User: "alice", Role: low, Held: man})
		}, ""},
	)
}

func TestRemoveMemberOrder(t *testing.T) {
	testOrder(t, RemoveMemberFacts{Actor: manager, Member: MemberFacts{User: "bob", Top: 2}, HasOwner: true, AdminHolders: 1}, RemoveMember,
		refusal[RemoveMemberFacts]{roster.EMISSINGPERMISSION, func(f *RemoveMemberFacts) { powerless(&f.Actor) }, ""},
		refusal[RemoveMemberFacts]{roster.EROLEHIERARCHY, func(f *RemoveMemberFacts) { f.Member.Top = 5 }, ""},
		refusal[RemoveMemberFacts]{roster.ELASTADMIN, func(f *RemoveMemberFacts) { f.HasOwner, f.Member.HoldsAdmin = false, true }, ""},
	)
	// The owner leaving is refused whoever asks; their being above every
	// role refuses a user first.
	leave := RemoveMemberFacts{Actor: Key, Member: MemberFacts{User: "bob", Top: 2}, HasOwner: true, AdminHolders: 1}
	testOrder(t, leave, RemoveMember,
		refusal[RemoveMemberFacts]{roster.EOWNERCANNOTLEAVE, func(f *RemoveMemberFacts) { f.Member.Owner = true }, ""},
	)
}

func TestUpdateCommunityOrder(t *testing.T) {
	testOrder(t, UpdateCommunityFacts{Actor: manager, Rename: true, AdminHolders: 1}, UpdateCommunity,
		refusal[UpdateCommunityFacts]{roster.EMISSINGPERMISSION, func(f *UpdateCommunityFacts) { powerless(&f.Actor) }, ""},
		refusal[UpdateCommunityFacts]{roster.ENOTOWNER, func(f *UpdateCommunityFacts) { f.Transfer = true }, ""},
	)
	testOrder(t, UpdateCommunityFacts{Actor: sOwner, Transfer: true, ClearOwner: true, AdminHolders: 1}, UpdateCommunity,
		refusal[UpdateCommunityFacts]{roster.ENOTOWNER, func(f *UpdateCommunityFacts) { f.Actor = manager }, ""},
		refusal[UpdateCommunityFacts]{roster.ELASTADMIN, func(f *UpdateCommunityFacts) { f.AdminHolders = 0 }, ""},
	)
}

func TestCatalogOrder(t *testing.T) {
	testOrder(t, RegisterPermissionFacts{Actor: manager, Key: "NEW_KEY", Keys: 20}, RegisterPermission,
		refusal[RegisterPermissionFacts]{roster.EMISSINGPERMISSION, func(f *RegisterPermissionFacts) { powerless(&f.Actor) }, ""},
		refusal[RegisterPermissionFacts]{roster.EPERMISSIONEXISTS, func(f *RegisterPermissionFacts) { f.Exists = true }, ""},
		refusal[RegisterPermissionFacts]{roster.ELIMITREACHED, func(f *RegisterPermissionFacts) { f.Keys = roster.MaxPermissions }, ""},
	)
	testOrder(t, UnregisterPermissionFacts{Actor: manager, Key: "OLD_KEY"}, UnregisterPermission,
		refusal[UnregisterPermissionFacts]{roster.EMISSINGPERMISSION, func(f *UnregisterPermissionFacts) { powerless(&f.Actor) }, ""},
		refusal[UnregisterPermissionFacts]{roster.EPERMISSIONBUILTIN, func(f *UnregisterPermissionFacts) { f.Builtin = true }, ""},
		refusal[UnregisterPermissionFacts]{roster.EPERMISSIONINUSE, func(f *UnregisterPermissionFacts) { f.Overwrites = 1 }, ""},
	)
}

func TestChannelOrder(t *testing.T) {
	testOrder(t, PutChannelFacts{Actor: manager, Channels: 3}, PutChannel,
		refusal[PutChannelFacts]{roster.EMISSINGPERMISSION, func(f *PutChannelFacts) { powerless(&f.Actor) }, ""},
		refusal[PutChannelFacts]{roster.ELIMITREACHED, func(f *PutChannelFacts) { f.Channels = roster.MaxChannelsPerCommunity }, ""},
	)
	role := rLow
	testOrder(t, SetOverwriteFacts{Actor: manager, Role: &role, Allow: []string{roster.PermSendMessages}}, SetOverwrite,
		refusal[SetOverwriteFacts]{roster.EMISSINGPERMISSION, func(f *SetOverwriteFacts) { powerless(&f.Actor) }, ""},
		refusal[SetOverwriteFacts]{roster.EROLEHIERARCHY, func(f *SetOverwriteFacts) { f.Role = &rAbove }, ""},
		refusal[SetOverwriteFacts]{roster.ECANNOTGRANT, func(f *SetOverwriteFacts) { f.Old.Deny = []string{roster.PermBanMembers} }, ""},
		refusal[SetOverwriteFacts]{roster.ELIMITREACHED, func(f *SetOverwriteFacts) { f.Overwrites = roster.MaxOverwritesPerChannel }, ""},
	)
	testOrder(t, DeleteOverwriteFacts{Actor: manager, Role: &role}, DeleteOverwrite,
		refusal[DeleteOverwriteFacts]{roster.EMISSINGPERMISSION, func(f *DeleteOverwriteFacts) { powerless(&f.Actor) }, ""},
		refusal[DeleteOverwriteFacts]{roster.EROLEHIERARCHY, func(f *DeleteOverwriteFacts) { f.Role = &rAbove }, ""},
		refusal[DeleteOverwriteFacts]{roster.ECANNOTGRANT, func(f *DeleteOverwriteFacts) { f.Old.Allow = []string{roster.PermBanMembers} }, ""},
	)
}

func TestReadAuditOrder(t *testing.T) {
	viewer := Subject{User: "viewer", Perms: perms(roster.PermViewAuditLog)}
	testOrder(t, ReadAuditFacts{Actor: viewer, Community: "c1"}, ReadAudit,
		refusal[ReadAuditFacts]{roster.ECOMMUNITYNOTFOUND, func(f *ReadAuditFacts) { f.Gone = true }, "c1"},
		refusal[ReadAuditFacts]{roster.EMISSINGPERMISSION, func(f *ReadAuditFacts) { powerless(&f.Actor) }, ""},
	)
	// A key reads the log of a community deleted since.
	if err := ReadAudit(ReadAuditFacts{Community: "c1", Gone: true}); err != nil {
		t.Errorf("a key reading a deleted community's log: got %v, want nil", err)
	}
}

func TestKeyOrder(t *testing.T) {
	revoked := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	padmin := Subject{User: "padmin", Perms: perms(roster.PermAdministrator)}
	key := roster.APIKey{ID: "k1", Scopes: []string{roster.ScopeAdmin}}
	testOrder(t, RevokeKeyFacts{Actor: padmin, Key: key, RootKeys: []string{"k0", "k1"}}, RevokeKey,
		refusal[RevokeKeyFacts]{roster.EMISSINGPERMISSION, func(f *RevokeKeyFacts) { f.Actor = manager }, ""},
		refusal[RevokeKeyFacts]{roster.EAPIKEYREVOKED, func(f *RevokeKeyFacts) { f.Key.RevokedAt = &revoked }, ""},
		refusal[RevokeKeyFacts]{roster.ELASTADMINKEY, func(f *RevokeKeyFacts) { f.RootKeys = []string{"k1"} }, ""},
	)
	community := "c1"
	testOrder(t, AdmitFacts{Key: roster.APIKey{Scopes: []string{roster.ScopeWrite}, ActAs: true}, Op: Operations["createRole"], Community: "c1", ActAs: "bob"}, Admit,
		refusal[AdmitFacts]{roster.EINSUFFICIENTSCOPE, func(f *AdmitFacts) { f.Key.Scopes = []string{roster.ScopeRead} }, "scopes"},
		refusal[AdmitFacts]{roster.ECOMMUNITYNOTFOUND, func(f *AdmitFacts) { other := "c2"; f.Key.CommunityID = &other }, ""},
		refusal[AdmitFacts]{roster.EINSUFFICIENTSCOPE, func(f *AdmitFacts) { f.Key.ActAs = false }, "act as"},
	)
	testOrder(t, AdmitFacts{Key: roster.APIKey{Scopes: []string{roster.ScopeAdmin}, CommunityID: &community}, Op: Operations["createRole"], Community: "c1"}, Admit,
		refusal[AdmitFacts]{roster.EINSUFFICIENTSCOPE, func(f *AdmitFacts) { f.Op = Operations["createPlatformRole"] }, "restricted"},
	)
}

// TestDocListsEveryOperation checks that the package doc's table names
// every operation of Operations, and nothing else: each camel-case word of
// the table is an operation, and each capitalised one a decision of the
// package.
func TestDocListsEveryOperation(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	funcs := exportedFuncs(t)
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\t+(.*)$`).FindAllStringSubmatch(string(doc), -1) {
		for _, w := range regexp.MustCompile(`\b[a-z][A-Za-z]+\b`).FindAllString(m[1], -1) {
			named[w] = true
			if _, ok := Operations[w]; !ok && strings.ToLower(w) != w {
				t.Errorf("the package doc's table lists %s, which is not an operation", w)
			}
		}
		for _, w := range regexp.MustCompile(`\b[A-Z][A-Za-z]+\b`).FindAllString(m[1], -1) {
			if !funcs[w] {
				t.Errorf("the package doc's table names decision %s, which is not a function of the package", w)
			}
		}
	}
	for op := range Operations {
		if !named[op] {
			t.Errorf("the package doc's table does not list operation %s", op)
		}
	}
}

// exportedFuncs returns the names of the package's exported functions.
func exportedFuncs(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.IsExported() {
				out[fn.Name.Name] = true
			}
		}
	}
	return out
}
