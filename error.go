package roster

import (
	"errors"
	"fmt"
)

// Error codes. Each is stable and documented: clients branch on them. The HTTP
// layer maps every code to a status in one table.
const (
	// 400, 401, 403, 412, 413, 415, 422: the request itself.
	EINVALIDJSON        = "invalid_json"
	EINVALIDQUERY       = "invalid_query"
	EUNSUPPORTEDMEDIA   = "unsupported_media_type"
	EVALIDATION         = "validation_failed"
	EBODYTOOLARGE       = "body_too_large"
	EUNAUTHENTICATED    = "unauthenticated"
	EINSUFFICIENTSCOPE  = "insufficient_scope"
	EVERSIONMISMATCH    = "version_mismatch"
	EREVISIONNOTREADY   = "revision_not_ready"
	ENOTREADY           = "not_ready"
	EUNAVAILABLE        = "database_unavailable"
	ERATELIMITED        = "rate_limited"
	ESOURCENOTALLOWED   = "source_not_allowed"
	EROUTENOTFOUND      = "route_not_found"
	EMETHODNOTALLOWED   = "method_not_allowed"
	EINTERNAL           = "internal"
	ECANNOTREMOVEADMIN  = "cannot_remove_own_admin"
	EMISSINGPERMISSION  = "missing_permission"
	EROLEHIERARCHY      = "role_hierarchy"
	ECANNOTGRANT        = "cannot_grant_permission"
	ENOTOWNER           = "not_owner"
	ECOMMUNITYNOTFOUND  = "community_not_found"
	EROLENOTFOUND       = "role_not_found"
	EMEMBERNOTFOUND     = "member_not_found"
	EUSERNOTFOUND       = "user_not_found"
	EPERMISSIONNOTFOUND = "permission_not_found"
	EAPIKEYNOTFOUND     = "api_key_not_found"
	EROLENOTHELD        = "role_not_held"
	ECHANNELNOTFOUND    = "channel_not_found"
	EOVERWRITENOTFOUND  = "overwrite_not_found"
	EWEBHOOKNOTFOUND    = "webhook_not_found"
	EDELIVERYNOTFOUND   = "delivery_not_found"

	// 409: the request conflicts with the current state.
	ELASTADMIN         = "last_admin"
	EROLEPROTECTED     = "role_protected"
	EROLEINUSE         = "role_in_use"
	EGRANTEDBYSOURCE   = "granted_by_source"
	EROLENOTASSIGNABLE = "role_not_assignable"
	EPERMISSIONINUSE   = "permission_in_use"
	EPERMISSIONBUILTIN = "permission_builtin"
	EPERMISSIONEXISTS  = "permission_exists"
	ECOMMUNITYEXISTS   = "community_exists"
	EROLENAMETAKEN     = "role_name_taken"
	ELIMITREACHED      = "limit_reached"
	EOWNERCANNOTLEAVE  = "owner_cannot_leave"
	EAPIKEYREVOKED     = "api_key_revoked"
	ELASTADMINKEY      = "last_admin_key"
	// EWRITECONFLICT: the write kept conflicting with concurrent writes
	// and was not made; sending it again is safe.
	EWRITECONFLICT = "write_conflict"
	// ELEASELOST: another replica now delivers the webhook.
	ELEASELOST = "lease_lost"
)

// Error is the one error type of Roster's domain. Code is one of the E*
// constants; Message is safe to show to the caller; Fields names each bad
// input; Extra carries machine-readable facts about a conflict (such as the
// number of holders of a role in use).
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Extra   map[string]any
}

// FieldError names one bad input: where it is in the call, as a plain path
// such as "name", "roleIds[3]" or "checks[0].permission" (each front says
// where that is in its own request), what is wrong with it, and the value
// received.
type FieldError struct {
	Location string
	Message  string
	Value    any
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("roster: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation_failed error naming each bad field.
func Invalid(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Location + ": " + fields[0].Message
	}
	return &Error{Code: EVALIDATION, Message: msg, Fields: fields}
}

// With returns e with one more extra fact.
func (e *Error) With(key string, value any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = value
	return e
}

// ErrorCode returns the code of err if it is, or wraps, an *Error, and
// EINTERNAL otherwise. A nil error has no code.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
