package roster

import (
	"context"
	"time"
)

// Built-in permission keys.
const (
	PermAdministrator   = "ADMINISTRATOR"
	PermManageCommunity = "MANAGE_COMMUNITY"
	PermManageRoles     = "MANAGE_ROLES"
	PermManageChannels  = "MANAGE_CHANNELS"
	PermManageMembers   = "MANAGE_MEMBERS"
	PermBanMembers      = "BAN_MEMBERS"
	PermMuteMembers     = "MUTE_MEMBERS"
	PermViewAuditLog    = "VIEW_AUDIT_LOG"
	PermViewChannel     = "VIEW_CHANNEL"
	PermSendMessages    = "SEND_MESSAGES"
	PermCreatePost      = "CREATE_POST"
	PermManagePosts     = "MANAGE_POSTS"
	PermAddReactions    = "ADD_REACTIONS"
	PermAttachFiles     = "ATTACH_FILES"
	PermMentionEveryone = "MENTION_EVERYONE"
	PermCreateCommunity = "CREATE_COMMUNITY"
)

// Catalog limits.
const (
	MaxPermissions       = 1024
	MaxPermissionDescLen = 1000
)

// BuiltinPermissions lists the keys every deployment has. They cannot be
// unregistered.
var BuiltinPermissions = []string{
	PermAdministrator, PermManageCommunity, PermManageRoles, PermManageChannels,
	PermManageMembers, PermBanMembers, PermMuteMembers, PermViewAuditLog,
	PermViewChannel, PermSendMessages, PermCreatePost, PermManagePosts,
	PermAddReactions, PermAttachFiles, PermMentionEveryone, PermCreateCommunity,
}

// Permission categories: how a console groups the catalog. Every key not
// built in is Custom.
const (
	CategoryGeneral  = "General"
	CategoryMembers  = "Members"
	CategoryMessages = "Channels and messages"
	CategoryCustom   = "Custom"
)

// PermissionCategories lists the categories in the order they are shown.
var PermissionCategories = []string{CategoryGeneral, CategoryMembers, CategoryMessages, CategoryCustom}

var builtinCategory = map[string]string{
	PermAdministrator: CategoryGeneral, PermManageCommunity: CategoryGeneral, PermManageRoles: CategoryGeneral,
	PermManageChannels: CategoryGeneral, PermViewAuditLog: CategoryGeneral, PermCreateCommunity: CategoryGeneral,
	PermManageMembers: CategoryMembers, PermBanMembers: CategoryMembers, PermMuteMembers: CategoryMembers,
	PermViewChannel: CategoryMessages, PermSendMessages: CategoryMessages, PermCreatePost: CategoryMessages,
	PermManagePosts: CategoryMessages, PermAddReactions: CategoryMessages, PermAttachFiles: CategoryMessages,
	PermMentionEveryone: CategoryMessages,
}

// PermissionCategory returns the category of a permission key.
func PermissionCategory(key string) string {
	if c, ok := builtinCategory[key]; ok {
		return c
	}
	return CategoryCustom
}

// CommunityEveryonePermissions are what the everyone role of a new community
// grants. At platform scope, everyone starts with nothing.
var CommunityEveryonePermissions = []string{
	PermViewChannel, PermSendMessages, PermCreatePost, PermAddReactions,
}

// PermissionKeyPattern is the pattern every permission key matches.
const PermissionKeyPattern = `^[A-Z][A-Z0-9_]{1,63}$`

// ValidPermissionKey reports whether key is an UPPER_SNAKE_CASE key of 2–64
// characters.
func ValidPermissionKey(key string) bool {
	if len(key) < 2 || len(key) > 64 || key[0] < 'A' || key[0] > 'Z' {
		return false
	}
	for i := 1; i < len(key); i++ {
		if c := key[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Permission is one key of the catalog.
type Permission struct {
	Key         string    `json:"key"`
	Description string    `json:"description"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"createdAt"`
}

// PermissionService manages the permission catalog.
type PermissionService interface {
	// ListPermissions returns the catalog ordered by key.
	ListPermissions(ctx context.Context, page Page) ([]Permission, string, error)

	// CreatePermission registers a key. Returns EVALIDATION for a malformed key
	// or description, EPERMISSIONEXISTS if the key is registered and
	// ELIMITREACHED past MaxPermissions keys.
	CreatePermission(ctx context.Context, p Permission) (Permission, Revision, error)

	// DeletePermission unregisters a key. Returns EPERMISSIONNOTFOUND,
	// EPERMISSIONBUILTIN for a built-in key and EPERMISSIONINUSE (with the
	// number of roles) while a role grants it.
	DeletePermission(ctx context.Context, key string) (Revision, error)
}

// Clean checks a permission to register.
func (p *Permission) Clean() error {
	var f fields
	if !ValidPermissionKey(p.Key) {
		f.add("key", "must be UPPER_SNAKE_CASE, 2-64 characters, starting with a letter", p.Key)
	}
	f.length("description", p.Description, MaxPermissionDescLen)
	return f.err()
}
