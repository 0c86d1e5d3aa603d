package console_test

import "net/url"

// consolePage is one page of the console that the suite visits.
type consolePage struct {
	// name names the page's subtest and benchmark.
	name string
	// path is its location, from the server's root.
	path string
}

// consolePages lists the console's pages, each as it shows the community,
// role and member given. The accessibility test and the page budgets visit
// every page listed: a new page is one more line here.
func consolePages(community, role, member string) []consolePage {
	c := "/console/communities/" + url.PathEscape(community)
	return []consolePage{
		{"signin", "/console/signin"},
		{"communities", "/console/"},
		{"roles", c},
		{"role", c + "/roles/" + url.PathEscape(role)},
		{"members", c + "/members"},
		{"member", c + "/members/" + url.PathEscape(member)},
	}
}
