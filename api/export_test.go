package api

// ForgetKeys empties the server's API-key cache, as a change that may
// revoke keys does: tests call it before they give a server another store.
func (s *Server) ForgetKeys() { s.forgetKeys() }
