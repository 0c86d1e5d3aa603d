// Package authz holds every rule of Roster as a plain function: a user's
// effective permissions (SPEC §2), every guard on who may change what (SPEC
// §3), what an API key may reach, and the limits of the state. It does no
// I/O. Each operation of the service has one decision here, which takes one
// facts struct — the actor's standing in the scope (Subject), the counts and
// limits involved, the state the change meets — and returns the refusal, or
// nil. Callers (the store, the index, the fronts) gather the facts, call the
// decision once and act on it; none of them chooses which permission an
// operation needs or compares a limit.
//
// Before any of that, every request meets the key rules: Admit (the key's
// scope, its reach, acting as a user) at the front door, and Reach (a key
// restricted to a community reaches only it), which the store and the index
// call again for the scope each operation reads or writes. Operations lists
// what each operation asks of a key.
//
// When several rules refuse one request, a decision names the first in
// this order (SPEC §3): unauthenticated, insufficient_scope, the not-found
// errors (which the callers' lookups give before the decision),
// source_not_allowed (a user changing provisioning grants), validation
// of the request against the state, cannot_remove_own_admin,
// missing_permission, role_hierarchy, cannot_grant_permission, then the
// conflicts and limits, then version_mismatch.
//
// Every operation and its decision:
//
//	operation                       key    decision
//	health, ready                   —      —
//	listPermissions                 read   — (every key, restricted ones too)
//	createPermission                write  RegisterPermission
//	deletePermission                write  UnregisterPermission
//	putUser                         write  PutUser
//	getUser, listMemberships        read   Reach (platform)
//	listCommunities                 read   Reachable
//	createCommunity                 write  CreateCommunity
//	getCommunity                    read   Reach
//	updateCommunity                 write  UpdateCommunity
//	deleteCommunity                 write  DeleteCommunity
//	listMembers, getMember          read   Reach
//	addMember, batchAddMembers      write  AddMembers
//	removeMember                    write  RemoveMember
//	listRoles, getRole              read   Reach
//	listRoleHolders, listUserRoles  read   Reach
//	createRole                      write  CreateRole
//	updateRole                      write  UpdateRole
//	deleteRole                      write  DeleteRole
//	reorderRoles                    write  ReorderRoles
//	addUserRole, batchAddRoles      write  AddRoles
//	removeUserRole,
//	batchRemoveRoles                write  RemoveRoles
//	getEffectivePermissions         read   Effective
//	listPlatformRoles, getPlatformRole, listPlatformRoleHolders,
//	listPlatformUserRoles           read   Reach (platform)
//	createPlatformRole, updatePlatformRole, deletePlatformRole,
//	reorderPlatformRoles, addPlatformUserRole, batchAddPlatformRoles,
//	removePlatformUserRole, batchRemovePlatformRoles
//	                                write  as their community twins
//	getPlatformEffectivePermissions read   Effective
//	listChannels, getChannel        read   Reach
//	putChannel                      write  PutChannel
//	deleteChannel                   write  DeleteChannel
//	setRoleOverwrite, setMemberOverwrite
//	                                write  SetOverwrite
//	deleteRoleOverwrite, deleteMemberOverwrite
//	                                write  DeleteOverwrite
//	check, checkBatch               check  Allowed (with Reach per check)
//	listAuditEvents                 read   AuditScope, then ReadAudit
//	listChanges, watchChanges       read   AuditScope, then ReadAudit
//	getSnapshot                     read   ReadSnapshot
//	createAPIKey                    admin  CreateKey
//	listAPIKeys                     admin  ListKeys
//	revokeAPIKey                    admin  RevokeKey
//	createWebhook                   admin  WebhookScope, then ManageWebhook
//	listWebhooks, getWebhook, updateWebhook, deleteWebhook,
//	rotateWebhookSecret, listWebhookDeliveries,
//	retryWebhookDelivery, testWebhook
//	                                admin  ManageWebhook
//	(authenticating a key)          —      KeyLive
package authz
