package roster

// Store is everything a Roster backend provides. Each engine implements it
// and passes the conformance suite in package storetest.
type Store interface {
	PermissionService
	CommunityService
	UserService
	MemberService
	RoleService
	AssignmentService
	CheckService
	AuditService
	APIKeyService
	Close() error
}
