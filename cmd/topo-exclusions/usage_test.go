package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsWriteTheSummary: the README promises the summary on
// every exit, usage errors included; a bad flag value fails in cobra's
// parsing, before any --summary is known, and used to leave none. Every
// usage error that names --summary (before or after the bad flag, with =
// or without, to standard output) now writes it: failed, exit 2, the
// error as said on stderr.
func TestUsageErrorsWriteTheSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--summary", "s.json", "--existing", "bogus", "x.csv"}, `"bogus" for "--existing" flag`},
		{[]string{"import", "--rate", "-5", "--summary", "s.json", "x.csv"}, `"-5" for "--rate" flag`},
		{[]string{"validate", "--summary=s.json", "--bogus", "x.csv"}, "unknown flag: --bogus"},
		{[]string{"remove", "--summary", "s.json"}, "needs exactly one FILE"},
		{[]string{"import", "--summary", "s.json", "--map", "email", "x.csv"}, `--map "email": want field=Header Name`},
		{[]string{"import", "--timeout", "0s", "--summary", "out/../s.json", "x.csv"}, `"0s" for "--timeout" flag`},
	} {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "out"), 0o755)
		res := runBinaryEnv(t, dir, "", nil, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, res.code, res.stderr)
			continue
		}
		var sum struct {
			Command  string `json:"command"`
			Status   string `json:"status"`
			ExitCode int    `json:"exit_code"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if sum.Command != tc.args[0] || sum.Status != "failed" || sum.ExitCode != 2 || !strings.Contains(sum.Error, tc.want) {
			t.Errorf("%v: summary %+v", tc.args, sum)
		}
	}
	res := runBinaryEnv(t, t.TempDir(), "", nil, "import", "--concurrency", "0", "--summary", "-", "x.csv")
	if res.code != 2 || !strings.Contains(res.stdout, `"exit_code": 2`) {
		t.Errorf("--summary -: exit %d, stdout %q", res.code, res.stdout)
	}
}

// TestHelpOfNoSuchCommand: 'help nosuch' is a usage error (exit 2, with a
// suggestion where there is one), not the root's help and exit 0.
func TestHelpOfNoSuchCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help", "nosuch"}, 2, "", `no help topic "nosuch"`},
		{[]string{"help", "imprt"}, 2, "", "did you mean import?"},
		{[]string{"help", "import", "extra"}, 2, "", `no help topic "import extra"`},
		{[]string{"help", "import"}, 0, "topo-exclusions import [flags] FILE", ""},
		{[]string{"help"}, 0, "Usage:", ""},
	} {
		res := runBinaryEnv(t, t.TempDir(), "", nil, tc.args...)
		if res.code != tc.code || !strings.Contains(res.stdout, tc.stdout) || !strings.Contains(res.stderr, tc.stderr) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", tc.args, res.code, res.stdout, res.stderr)
		}
	}
}

// TestSummaryShowsTheColumnsRead: Mailchimp's NOTES column silently
// became the message. The summary (text and JSON) and the run page now
// say which column became which field, the --map given, and the columns
// not read.
func TestSummaryShowsTheColumnsRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mc.csv"), []byte("Email Address,NOTES,Work Email,First Name\na@x.co,from the form,a@corp.co,Ann\n"), 0o644)
	res := runBinaryEnv(t, dir, "", nil, "validate", "--default-reason", "unsubscribed", "--map", "email=Work Email",
		"--summary", "s.json", "--html", "p.html", "mc.csv")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if want := `columns:  "Work Email" → email, "NOTES" → message (--map email="Work Email"); not read: Email Address, First Name`; !strings.Contains(res.stderr, want) {
		t.Errorf("the summary lacks %q:\n%s", want, res.stderr)
	}
	var sum struct {
		Columns  map[string]string `json:"columns"`
		NotRead  []string          `json:"columns_not_read"`
		Settings map[string]string `json:"settings"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Columns["email"] != "Work Email" || sum.Columns["message"] != "NOTES" || strings.Join(sum.NotRead, "|") != "Email Address|First Name" || sum.Settings["map"] != `email="Work Email"` {
		t.Errorf("JSON summary: %+v", sum)
	}
	page := readFile(t, dir, "p.html")
	for _, want := range []string{"<td>NOTES</td><td><code>message</code></td>", "Not read (not sent; kept in the failures file): Email Address, First Name", `email=&#34;Work Email&#34;`} {
		if !strings.Contains(page, want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
}
