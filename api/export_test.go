package api

// OnLeanCheck makes s call fn each time the lean check path answers a
// request, so that tests can tell it from the documented operation.
func OnLeanCheck(s *Server, fn func()) { s.leanHook = fn }

// ForgetKeys empties the server's API-key cache, as a change that may
// revoke keys does: tests call it before they give a server another store.
func (s *Server) ForgetKeys() { s.forgetKeys() }
