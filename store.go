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
	ChannelService
	AuditService
	APIKeyService
	WebhookService
	WebhookDeliveries
	ChangeLog
	Close() error
}

// Service is the whole of Roster behind its API: the store, and the checks,
// which an index of the store answers.
type Service interface {
	Store
	CheckService
}
