package console_test

import "net/url"

// consolePage is one page of the console that the suite visits.
type consolePage struct {
	// name names the page's subtest and benchmark.
	name string
	// path is its location, from the server's root.
	path string
	// admin marks the pages only an admin key's session has.
	admin bool
}

// consolePages lists the console's pages, each as it shows the community,
// role, member and channel given (the channel's page editing the role's
// overwrite there). The accessibility test and the page budgets visit
// every page listed: a new page is one more line here.
func consolePages(community, role, member, channel string) []consolePage {
	c := "/console/communities/" + url.PathEscape(community)
	return []consolePage{
		{"signin", "/console/signin", false},
		{"communities", "/console/", false},
		{"roles", c, false},
		{"role", c + "/roles/" + url.PathEscape(role), false},
		{"members", c + "/members", false},
		{"member", c + "/members/" + url.PathEscape(member), false},
		{"channels", c + "/channels", false},
		{"channel", c + "/channels/" + url.PathEscape(channel) + "?type=role&id=" + url.QueryEscape(role), false},
		{"view-as", c + "/view-as?user=" + url.QueryEscape(member) + "&channel=" + url.QueryEscape(channel), false},
		{"audit", c + "/audit", false},
		{"permissions", "/console/permissions", false},
		{"keys", "/console/keys", true},
		{"webhooks", "/console/webhooks", true},
	}
}
