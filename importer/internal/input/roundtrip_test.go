package input

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/report"
)

// TestFailuresRoundTrip feeds a failures file back into the reader: every
// row comes back with the values it was written from, guards and all.
func TestFailuresRoundTrip(t *testing.T) {
	raws := []rows.Fields{
		{Email: "=cmd|' /C calc'!A0", Reason: "other", Message: "@risk"},
		{Email: "x@y.co", LinkedInURL: "", Reason: "-", Message: "two\nlines, \"quoted\"", Until: "31/12/2027"},
		{LinkedInURL: "https://www.linkedin.com/company/acme", Reason: "competitor", Message: "+1 555"},
	}
	var buf bytes.Buffer
	f, err := report.NewFailures(&buf, report.FailuresFormat{Kind: topo.Contacts})
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range raws {
		o := rows.Outcome{Row: rows.Row{Num: i + 2, Raw: raw}, Status: rows.StatusInvalid, Err: "=why"}
		if err := f.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Write(rows.Outcome{Status: rows.StatusDuplicate}); err != nil || f.Len() != 3 {
		t.Fatalf("a duplicate went into the failures file (len %d, %v)", f.Len(), err)
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "row,email,linkedin_url,reason,message,until,error,maybe_sent\n") {
		t.Fatalf("header: %q", buf.String())
	}
	r, err := NewReader(&buf, Options{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Info().Ignored; len(got) != 0 {
		t.Errorf("ignored columns %q: the tool's own columns read back without a warning", got)
	}
	for i, want := range raws {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if row.Raw != want {
			t.Errorf("row %d came back as %+v, want %+v", i+2, row.Raw, want)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("extra rows: %v", err)
	}
}

// TestFailuresKeepTheSepLine: an input with Excel's sep= line gets a
// failures file with one (after the BOM, as Excel writes them), which
// reads back with the same delimiter and says it had the line.
func TestFailuresKeepTheSepLine(t *testing.T) {
	for _, tc := range []struct {
		input string
		delim byte
		head  string
	}{
		{"\ufeffsep=;\nemail;reason\nbad;other\n", ';', "\ufeffsep=;\nrow;email;"},
		{"sep=|\r\nemail|reason\r\nbad|other\r\n", '|', "sep=|\nrow|email|"},
		{"sep=\t\nemail\treason\nbad\tother\n", '\t', "sep=\t\nrow\temail\t"},
		{"email;reason\nbad;other\n", ';', "row;email;"},
	} {
		list, info := readAll(t, tc.input, Options{})
		if len(list) != 1 || list[0].Status != rows.StatusInvalid {
			t.Fatalf("rows %+v", list)
		}
		var buf bytes.Buffer
		f, err := report.NewFailures(&buf, report.FailuresFormat{Kind: info.Kind, Delimiter: info.Delimiter, BOM: info.BOM, SepLine: info.SepLine})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(rows.Checked(list[0])); err != nil {
			t.Fatal(err)
		}
		if err := f.Flush(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), tc.head) {
			t.Errorf("%q: failures file starts %q, want %q", tc.input, buf.String(), tc.head)
		}
		back, again := readAll(t, buf.String(), Options{})
		if again.Delimiter != tc.delim || again.SepLine != info.SepLine || len(back) != 1 || back[0].Raw.Email != "bad" || back[0].Num != 2 {
			t.Errorf("%q: read back with %q, sep line %v, rows %+v", tc.input, again.Delimiter, again.SepLine, back)
		}
	}
}
