package authz

import "github.com/rosterhq/roster"

// Operation is what the rules ask of an API key for one operation of the
// API, before any fact is read (Admit).
type Operation struct {
	// Scope is the least scope the key needs: check, read, write or admin;
	// empty for a public operation.
	Scope string
	// Platform is true for operations outside any one community, which a
	// key restricted to a community may not call.
	Platform bool
}

// Public reports whether the operation needs no key.
func (o Operation) Public() bool { return o.Scope == "" }

const (
	keyCheck = roster.ScopeCheck
	keyRead  = roster.ScopeRead
	keyWrite = roster.ScopeWrite
	keyAdmin = roster.ScopeAdmin
)

// Operations lists every operation of the API by its id, as the package
// doc's table does with the decision of each.
var Operations = map[string]Operation{
	"health": {}, "ready": {},

	"listPermissions":  {Scope: keyRead},
	"createPermission": {Scope: keyWrite, Platform: true},
	"deletePermission": {Scope: keyWrite, Platform: true},

	"putUser":         {Scope: keyWrite, Platform: true},
	"getUser":         {Scope: keyRead, Platform: true},
	"listMemberships": {Scope: keyRead, Platform: true},

	"listCommunities": {Scope: keyRead},
	"createCommunity": {Scope: keyWrite, Platform: true},
	"getCommunity":    {Scope: keyRead},
	"updateCommunity": {Scope: keyWrite},
	"deleteCommunity": {Scope: keyWrite},

	"listMembers":     {Scope: keyRead},
	"batchAddMembers": {Scope: keyWrite},
	"addMember":       {Scope: keyWrite},
	"getMember":       {Scope: keyRead},
	"removeMember":    {Scope: keyWrite},

	"listRoles":                       {Scope: keyRead},
	"createRole":                      {Scope: keyWrite},
	"reorderRoles":                    {Scope: keyWrite},
	"getRole":                         {Scope: keyRead},
	"updateRole":                      {Scope: keyWrite},
	"deleteRole":                      {Scope: keyWrite},
	"listRoleHolders":                 {Scope: keyRead},
	"batchAddRoles":                   {Scope: keyWrite},
	"batchRemoveRoles":                {Scope: keyWrite},
	"listUserRoles":                   {Scope: keyRead},
	"addUserRole":                     {Scope: keyWrite},
	"removeUserRole":                  {Scope: keyWrite},
	"getEffectivePermissions":         {Scope: keyRead},
	"listPlatformRoles":               {Scope: keyRead, Platform: true},
	"createPlatformRole":              {Scope: keyWrite, Platform: true},
	"reorderPlatformRoles":            {Scope: keyWrite, Platform: true},
	"getPlatformRole":                 {Scope: keyRead, Platform: true},
	"updatePlatformRole":              {Scope: keyWrite, Platform: true},
	"deletePlatformRole":              {Scope: keyWrite, Platform: true},
	"listPlatformRoleHolders":         {Scope: keyRead, Platform: true},
	"batchAddPlatformRoles":           {Scope: keyWrite, Platform: true},
	"batchRemovePlatformRoles":        {Scope: keyWrite, Platform: true},
	"listPlatformUserRoles":           {Scope: keyRead, Platform: true},
	"addPlatformUserRole":             {Scope: keyWrite, Platform: true},
	"removePlatformUserRole":          {Scope: keyWrite, Platform: true},
	"getPlatformEffectivePermissions": {Scope: keyRead, Platform: true},

	"listChannels":          {Scope: keyRead},
	"putChannel":            {Scope: keyWrite},
	"getChannel":            {Scope: keyRead},
	"deleteChannel":         {Scope: keyWrite},
	"setRoleOverwrite":      {Scope: keyWrite},
	"deleteRoleOverwrite":   {Scope: keyWrite},
	"setMemberOverwrite":    {Scope: keyWrite},
	"deleteMemberOverwrite": {Scope: keyWrite},

	"check":      {Scope: keyCheck},
	"checkBatch": {Scope: keyCheck},

	"listAuditEvents": {Scope: keyRead},
	"getSnapshot":     {Scope: keyRead},
	"listChanges":     {Scope: keyRead},
	"watchChanges":    {Scope: keyRead},

	"createAPIKey": {Scope: keyAdmin, Platform: true},
	"listAPIKeys":  {Scope: keyAdmin, Platform: true},
	"revokeAPIKey": {Scope: keyAdmin, Platform: true},

	"createWebhook":         {Scope: keyAdmin},
	"listWebhooks":          {Scope: keyAdmin},
	"getWebhook":            {Scope: keyAdmin},
	"updateWebhook":         {Scope: keyAdmin},
	"deleteWebhook":         {Scope: keyAdmin},
	"rotateWebhookSecret":   {Scope: keyAdmin},
	"listWebhookDeliveries": {Scope: keyAdmin},
	"retryWebhookDelivery":  {Scope: keyAdmin},
	"testWebhook":           {Scope: keyAdmin},
}
