package api

// OnLeanCheck makes s call fn each time the lean check path answers a
// request, so that tests can tell it from the documented operation.
func OnLeanCheck(s *Server, fn func()) { s.leanHook = fn }
