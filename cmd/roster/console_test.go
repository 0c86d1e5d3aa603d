package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeConsole signs in to the console `roster serve` serves, and
// follows its audit page: a live request waits on the change feed and
// answers the change made after it was asked, as a row.
func TestServeConsole(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", t.TempDir())
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	page := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		var resp *http.Response
		var err error
		if form != nil {
			resp, err = client.PostForm(r.URL+path, form)
		} else {
			resp, err = client.Get(r.URL + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := page("POST", "/console/signin", url.Values{"credential": {"a-long-enough-admin-key"}}); status != http.StatusOK || !strings.Contains(body, "<h1>Communities</h1>") {
		t.Fatalf("signing in: got %d\n%s", status, body)
	}
	_, body := page("GET", "/console/", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	if status, body := page("POST", "/console/communities", url.Values{"csrf": {csrf}, "name": {"The Guild"}, "id": {"guild"}}); status != http.StatusOK || !strings.Contains(body, "The Guild") {
		t.Fatalf("creating a community: got %d\n%s", status, body)
	}
	_, body = page("GET", "/console/communities/guild/audit", nil)
	m := regexp.MustCompile(`data-after="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the audit page is not live:\n%s", body)
	}

	type answer struct {
		body string
		at   time.Time
	}
	live := make(chan answer, 1)
	go func() {
		_, body := page("GET", "/console/communities/guild/audit/live?after="+m[1], nil)
		live <- answer{body, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond) // the request is waiting on the feed
	wrote := time.Now()
	req, _ := http.NewRequest("POST", r.URL+"/v1/communities/guild/roles", strings.NewReader(`{"name": "Artists", "permissions": []}`))
	req.Header.Set("Authorization", "Bearer a-long-enough-admin-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating a role: %v, %v", resp, err)
	}
	resp.Body.Close()
	select {
	case a := <-live:
		if !strings.Contains(a.body, "<code>role.created</code>") || a.at.Before(wrote) {
			t.Errorf("the live answer: got, at %v (the role was created at %v):\n%s", a.at, wrote, a.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the live request did not answer the new role")
	}
}
