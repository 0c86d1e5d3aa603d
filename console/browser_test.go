package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/console"
)

// chromium returns the path of Debian's Chromium, skipping the test
// (visibly) without it: .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED: no Chromium installed (apt-get install chromium; .ci/run does)")
	return ""
}

// newTab starts a headless Chromium for the test and returns a tab.
func newTab(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 800))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	tab, cancelTime := context.WithTimeout(tab, 60*time.Second)
	t.Cleanup(cancelTime)
	return tab
}

// TestConsoleInABrowser signs in with an API key in a real browser,
// creates a community, finds it listed and opens its page; it saves a
// screenshot of that page to $ROSTER_SCREENSHOTS when set.
func TestConsoleInABrowser(t *testing.T) {
	tab := newTab(t)
	srv, _, admin := mustConsole(t, console.Options{})
	err := chromedp.Do(tab,
		chromedp.Navigate(srv.URL+"/console/"),
		chromedp.WaitVisible(chromedp.ID("credential")),
		chromedp.SendKeys(chromedp.ID("credential"), admin),
		chromedp.Submit(chromedp.ID("credential")),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Fan Club"),
		chromedp.SendKeys(chromedp.ID("id"), "fans"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.Search(`//td[normalize-space()="Fan Club"]`)),
	)
	if err != nil {
		t.Fatalf("in the browser: %v", err)
	}
	list, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("table")))
	if err != nil {
		t.Fatal(err)
	}
	// The community's page shows its roles, from the top.
	if err := chromedp.Do(tab, chromedp.Click(chromedp.Search(`//a[normalize-space()="Fan Club"]`)),
		chromedp.WaitVisible(chromedp.Search(`//caption[contains(., "Roles")]`))); err != nil {
		t.Fatalf("the community's page: %v", err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "Fan Club") || !strings.Contains(list, "fans") {
		t.Errorf("the communities table: got %q, want Fan Club (fans)", list)
	}
	if dir := os.Getenv("ROSTER_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "console-community.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
