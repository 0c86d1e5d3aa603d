package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// eventsPerPage is the length of a page of the audit log.
const eventsPerPage = 50

// liveWait is how long a live audit page's request waits for new events.
const liveWait = 25 * time.Second

// auditData is the audit page's.
type auditData struct {
	Community roster.Community
	Events    []roster.Event
	// Actor, Action, Target, Since, Until (datetime-local values) and TZ
	// are the filter; Cursor the page; Next the next page's cursor.
	Actor, Action, Target, Since, Until, TZ, Cursor, Next string
	// Live is where the first page asks for the new events that join it,
	// after the revision After; empty on the other pages.
	Live  string
	After roster.Revision
}

// auditFilter reads the filter of an audit page's query, in a community.
func auditFilter(community string, q url.Values) (roster.EventFilter, auditData, error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	d := auditData{Actor: get("actor"), Action: get("action"), Target: get("target"), Since: get("since"), Until: get("until"), TZ: get("tz"), Cursor: get("cursor")}
	f := roster.EventFilter{CommunityID: community, Actor: d.Actor, Action: d.Action, Target: d.Target, Newest: true}
	since, err := localTime("since", d.Since, d.TZ)
	if err != nil {
		return f, d, err
	}
	until, err := localTime("until", d.Until, d.TZ)
	if err != nil {
		return f, d, err
	}
	if since != nil {
		f.Since = *since
	}
	if until != nil {
		f.Until = *until
	}
	return f, d, f.Clean()
}

// audit shows a community's audit log, newest first, filtered; the first
// page takes new events as they come (console.js asks auditLive).
func (c *Console) audit(w http.ResponseWriter, r *http.Request, ss *session) {
	cid := r.PathValue("communityId")
	p := c.newPage(ss, "Audit log", nil)
	ctx, err := c.admitted(r, ss, "listAuditEvents", cid)
	var com roster.Community
	if err == nil {
		com, err = c.svc.FindCommunity(ctx, cid)
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	status := http.StatusOK
	f, d, err := auditFilter(cid, r.URL.Query())
	if err == nil {
		var after roster.Revision
		if after, err = c.svc.CurrentRevision(ctx); err == nil {
			d.Events, d.Next, err = c.svc.ListEvents(ctx, f, roster.Page{Limit: eventsPerPage, Cursor: d.Cursor})
			d.After = after
			if d.Cursor == "" {
				q := url.Values{"actor": {d.Actor}, "action": {d.Action}, "target": {d.Target}, "since": {d.Since}, "until": {d.Until}, "tz": {d.TZ}}
				d.Live = communityURL(cid) + "/audit/live?" + q.Encode()
			}
		}
	}
	if err != nil {
		p.Error, p.ErrorCode = c.refusal(err)
		status = refusedStatus(err)
	}
	d.Community = com
	p.Title, p.Community, p.Data = "Audit log of "+com.Name, &com, d
	c.render(w, status, "audit.html", p)
}

// auditLive answers the events of the filter after a revision, newest
// first, as rows of the audit table: at once when there are some, else
// when the next comes or liveWait has passed. The rows' body carries the
// revision to ask after next.
func (c *Console) auditLive(w http.ResponseWriter, r *http.Request, ss *session) {
	cid := r.PathValue("communityId")
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil || after < 0 {
		http.Error(w, "after must be a revision", http.StatusBadRequest)
		return
	}
	f, _, err := auditFilter(cid, r.URL.Query())
	f.Newest = false
	var page roster.ChangePage
	ctx, err2 := c.admitted(r, ss, "listChanges", cid)
	if err == nil {
		err = err2
	}
	if err == nil {
		if c.opt.Feed != nil {
			page, err = c.opt.Feed.Follow(ctx, f, roster.Revision(after), eventsPerPage, liveWait)
		} else {
			page.Events, _, err = c.svc.FollowEvents(ctx, f, roster.Revision(after), eventsPerPage)
			page.Next = roster.Revision(after)
			if n := len(page.Events); n > 0 {
				page.Next = page.Events[n-1].Revision
			}
		}
	}
	if err != nil {
		msg, _ := c.refusal(err)
		http.Error(w, msg, refusedStatus(err))
		return
	}
	slices.Reverse(page.Events)
	c.render(w, http.StatusOK, "auditrows", page)
}
