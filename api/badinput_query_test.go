package api_test

// badQueryCases are malformed query strings, on every list and on write
// routes: a percent-escape that is not one, a ';' (which Go once took for
// '&' and now drops its pair for), and a parameter given twice. Each is
// 400 invalid_query naming the parameter, or the query when the
// parameter's name is what cannot be read.
// badActAsCases send a malformed Roster-Act-As, or one from a key that may
// not act as a user, to the check routes (which the lean path answers) and
// to a write of each scope.
func badActAsCases(fx badFix) []badCase {
	check := jsonObj{"communityId": "guild", "userId": "bob", "permission": "VIEW_CHANNEL"}
	var out []badCase
	for _, r := range []struct {
		op, path string
		body     jsonObj
	}{
		{"check", "/v1/check", check},
		{"checkBatch", "/v1/check/batch", jsonObj{"checks": []jsonObj{check}}},
		{"createRole", "/v1/communities/guild/roles", jsonObj{"name": "New", "permissions": []string{}}},
		{"createPlatformRole", "/v1/platform/roles", jsonObj{"name": "New", "permissions": []string{}}},
	} {
		loc := "header.Roster-Act-As"
		out = append(out,
			bad(r.op, "act-as malformed", "POST", r.path, r.body, s422, vfailed, loc).with(Req{Key: fx.actKey, ActAs: "a b"}),
			bad(r.op, "act-as 129 characters", "POST", r.path, r.body, s422, vfailed, loc).with(Req{Key: fx.actKey, ActAs: nChars(129)}),
			bad(r.op, "act-as with a key without actAs", "POST", r.path, r.body, s403, "insufficient_scope").with(Req{ActAs: "bob"}),
		)
	}
	return out
}

func badQueryCases(fx badFix) []badCase {
	const c, p = "/v1/communities/guild", "/v1/platform"
	q := func(op, kind, method, path string, body any, locs ...string) badCase {
		return bad(op, kind, method, path, body, s400, "invalid_query", locs...)
	}
	var out []badCase
	for _, r := range badListRoutes(fx) {
		for _, tc := range []struct{ kind, query, loc string }{
			{"cursor %zz", "cursor=%zz", "query.cursor"},
			{"cursor %%%x", "cursor=%%%x", "query.cursor"},
			{"cursor a lone %", "limit=5&cursor=%", "query.cursor"},
			{"limit twice", "limit=5&limit=6", "query.limit"},
			{"cursor twice", "cursor=&cursor=", "query.cursor"},
			{"name %zz", "%zz=1", "query"},
			{"limit and a semicolon", "limit=5;cursor=x", "query.limit"},
			{"semicolon in a name", "a;b=1", "query"},
		} {
			out = append(out, q(r.op, "query "+tc.kind, r.method, r.path+"?"+tc.query, nil, tc.loc))
		}
	}
	role := c + "/roles/" + fx.mod
	check := jsonObj{"communityId": "guild", "userId": "bob", "permission": "VIEW_CHANNEL"}
	return append(out,
		q("deleteRole", "force twice", "DELETE", role+"?force=true&force=false", nil, "query.force").rereads(role),
		q("deleteRole", "force %zz", "DELETE", role+"?force=%zz", nil, "query.force").rereads(role),
		q("deletePlatformRole", "force twice", "DELETE", p+"/roles/"+fx.plat+"?force=true&force=true", nil, "query.force").rereads(p+"/roles/"+fx.plat),
		q("removeUserRole", "source twice", "DELETE", c+"/members/bob/roles/"+fx.mod+"?source=manual&source=manual", nil, "query.source").rereads(c+"/members/bob"),
		q("createRole", "unknown parameter %zz", "POST", c+"/roles?x=%zz", jsonObj{"name": "New", "permissions": []string{}}, "query.x").rereads(c+"/roles"),
		q("createRole", "two bad parameters", "POST", c+"/roles?%zz&a=1&a=2", jsonObj{"name": "New", "permissions": []string{}}, "query", "query.a").rereads(c+"/roles"),
		q("check", "name %", "POST", "/v1/check?%", check, "query"),
		q("checkBatch", "a parameter twice", "POST", "/v1/check/batch?a&a", jsonObj{"checks": []jsonObj{check}}, "query.a"),
		q("listAuditEvents", "actor twice", "GET", "/v1/audit?actor=a&actor=b", nil, "query.actor"),
		q("getEffectivePermissions", "explain twice", "GET", c+"/members/bob/permissions?explain=true&explain=false", nil, "query.explain"),
		q("listMembers", "cursor %zz and no credentials", "GET", c+"/members?cursor=%zz", nil, "query.cursor").with(Req{Key: "-"}),
	)
}
