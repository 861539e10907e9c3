package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// browser finds a Chromium to drive. Without one the test skips, unless
// TOPO_REQUIRE_BROWSER is set (CI sets it, having installed Debian's
// chromium): there a missing browser is a failure, not a silent skip.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("TOPO_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium on PATH, and TOPO_REQUIRE_BROWSER is set (apt-get install chromium)")
	}
	t.Skip("no Chromium on PATH (apt-get install chromium)")
	return ""
}

// TestRunPageInABrowser opens the run page of a real import (throttled,
// with failed rows) in headless Chromium: the numbers shown must be the
// summary's, the page must load nothing from anywhere, and a screenshot
// is taken (kept in TOPO_SCREENSHOT_DIR when set).
func TestRunPageInABrowser(t *testing.T) {
	t.Parallel()
	exe := browser(t)
	// Sent at four times the limit, with one write in ten failing: the
	// page has 429s over several seconds and errors to group.
	srv := topotest.NewServer(topotest.Options{Rate: 50, Burst: 2, HideLimit: true, FailRate: 0.1, Seed: 4})
	defer srv.Close()
	res, _, dir := importRun(t, srv, topotest.DefaultToken, generated(t, 150), "--html", "page.html", "--rate", "200", "--retries", "0")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (rows failed)\n%s", res.code, res.stderr)
	}
	var sum struct {
		Status      string         `json:"status"`
		ExitCode    int            `json:"exit_code"`
		Rows        int            `json:"rows"`
		FailureRows int            `json:"failure_rows"`
		Counts      map[string]int `json:"counts"`
		Send        struct {
			Requests  int64            `json:"requests"`
			Throttled int64            `json:"throttled_429"`
			ByOp      map[string]int64 `json:"by_op"`
		} `json:"send"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "page.html")
	if html := readFile(t, dir, "page.html"); strings.Contains(html, topotest.DefaultToken) {
		t.Fatal("the page holds the API key")
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first action starts the browser, which lives as long as its
	// context: the timeout goes on the actions after it.
	if _, err := chromedp.Call(browserCtx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browserCtx, 60*time.Second)
	defer cancelTimeout()

	var mu sync.Mutex
	var fetched []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			fetched = append(fetched, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	texts := map[string]string{}
	for name, sel := range map[string]string{
		"status": "#status", "exit": "#exit-code", "rows": "#rows", "need-action": "#need-action", "requests": "#requests",
		"created": `[data-status="created"]`, "failed": `[data-status="failed"]`, "throttled": `[data-figure="throttled"]`,
		"creates": `[data-op="create"]`,
	} {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		texts[name] = strings.TrimSpace(text)
	}
	errorGroups, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#errors tr").length - 1`))
	if err != nil {
		t.Fatal(err)
	}
	chartMarks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect, svg path, svg polyline").length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]string{
		"status": map[bool]string{true: "needs action", false: sum.Status}[sum.ExitCode == 1], "exit": fmt.Sprint(sum.ExitCode), "rows": grouped(sum.Rows), "need-action": grouped(sum.FailureRows),
		"requests": grouped(int(sum.Send.Requests)), "created": grouped(sum.Counts["created"]), "failed": grouped(sum.Counts["failed"]),
		"throttled": grouped(int(sum.Send.Throttled)), "creates": grouped(int(sum.Send.ByOp["create"])),
	}
	for name, w := range want {
		if got := texts[name]; got != w {
			t.Errorf("the page shows %s %q, the summary says %q", name, got, w)
		}
	}
	if sum.Counts["failed"] == 0 || sum.Send.Throttled == 0 || errorGroups < 1 {
		t.Errorf("%d failed rows, %d 429s, %d error groups on the page: the run did not test the page", sum.Counts["failed"], sum.Send.Throttled, errorGroups)
	}
	if chartMarks == 0 {
		t.Error("the page draws no chart of requests over time")
	}
	mu.Lock()
	for _, u := range fetched {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page fetched %s: it must be self-contained", u)
		}
	}
	mu.Unlock()
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) || len(shot) < 10_000 {
		t.Errorf("the screenshot is not a page's PNG (%d bytes)", len(shot))
	}
	out := t.TempDir()
	if d := os.Getenv("TOPO_SCREENSHOT_DIR"); d != "" {
		out = d
	}
	if err := os.WriteFile(filepath.Join(out, "run-page.png"), shot, 0o644); err != nil {
		t.Error(err)
	}
}

// grouped writes n as the page does, with thousands separators.
func grouped(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
