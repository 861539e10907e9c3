package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestDateOrder: a date that reads both ways is invalid until --date-order
// says which way, then read that way; a bad value is a usage error.
func TestDateOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := "email,reason,until\na@example.com,unsubscribed,03/04/2099\nb@example.com,unsubscribed,31/12/2099\n"
	if err := os.WriteFile(filepath.Join(dir, "l.csv"), []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		order      string
		code       int
		first      string // the first row's status, then its until
		firstUntil string
	}{
		{"", 1, "invalid", "03/04/2099"},
		{"dmy", 0, "valid", "2099-04-03T23:59:59Z"},
		{"mdy", 0, "valid", "2099-03-04T23:59:59Z"},
	} {
		args := []string{"validate", "--report", "r.csv", "--failures", "f.csv", "--force"}
		if tc.order != "" {
			args = append(args, "--date-order", tc.order)
		}
		res := runBinary(t, dir, "", append(args, "l.csv")...)
		recs := reportRows(t, dir, "r.csv")
		if res.code != tc.code || recs[0][1] != tc.first || recs[0][7] != tc.firstUntil {
			t.Errorf("--date-order %q: exit %d, row 2 %v\n%s", tc.order, res.code, recs[0], res.stderr)
		}
		// 31/12 reads one way only, whatever the order.
		if recs[1][1] != "valid" || recs[1][7] != "2099-12-31T23:59:59Z" {
			t.Errorf("--date-order %q: row 3 %v", tc.order, recs[1])
		}
	}
	res := runBinary(t, dir, "", "validate", "--date-order", "ymd", "l.csv")
	if res.code != 2 || !strings.Contains(res.stderr, "--date-order") {
		t.Errorf("--date-order ymd: exit %d\n%s", res.code, res.stderr)
	}
}

// TestPastedEmailsImported: how a pasted email was read stays in the
// report beside what Topo answered, and the summary counts the domains
// sent in ASCII.
func TestPastedEmailsImported(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	list := "email,reason\n\"\u201cjo@example.com\u201d\",unsubscribed\nanna@m\u00fcnchen.de,unsubscribed\nplain@example.com,unsubscribed\n"
	if err := os.WriteFile(filepath.Join(dir, "l.csv"), []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runBinaryEnv(t, dir, "", []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL},
		"import", "--report", "r.csv", "--failures", "f.csv", "--summary", "s.json", "l.csv")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	recs := reportRows(t, dir, "r.csv")
	if recs[0][1] != "created" || recs[0][3] != "jo@example.com" || !strings.Contains(recs[0][13], "from around the email") {
		t.Errorf("quoted email: %v", recs[0])
	}
	if recs[1][1] != "created" || recs[1][3] != "anna@xn--mnchen-3ya.de" || recs[1][13] == "" {
		t.Errorf("Unicode domain: %v", recs[1])
	}
	if recs[2][13] != "" {
		t.Errorf("a plain email got a note: %q", recs[2][13])
	}
	var sum struct {
		ConvertedDomains int    `json:"converted_domains"`
		DomainForm       string `json:"domain_form"`
	}
	if err := json.Unmarshal([]byte(readFile(t, dir, "s.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.ConvertedDomains != 1 || !strings.Contains(sum.DomainForm, "punycode") {
		t.Errorf("summary: %+v", sum)
	}
}
