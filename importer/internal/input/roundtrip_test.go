package input

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

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
	if !strings.HasPrefix(buf.String(), "row,source_row,email,linkedin_url,reason,message,until,error,maybe_sent\n") {
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

// failuresOf writes the rows that need action of list into a failures
// file as a run writes one to disk.
func failuresOf(t *testing.T, list []rows.Row, info Info) []byte {
	t.Helper()
	var buf bytes.Buffer
	f, err := report.NewFailures(&buf, report.FailuresFormat{Kind: info.Kind, Spreadsheet: true, Extra: info.Extra})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range list {
		if err := f.Write(rows.Checked(row)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFailuresFileRoundsKeepTheSource: whatever the input's encoding,
// delimiter and sep= line, the failures file is UTF-16LE with a BOM and
// tab-separated (what every Excel opens in columns), holds the input's
// other columns after its own (a second email column that --map passed
// over marked as not read), and reads back, round after round, with the
// same values, the same other cells and the first file's row numbers in
// source_row.
func TestFailuresFileRoundsKeepTheSource(t *testing.T) {
	const header = "First Name;Email;E-mail;reason;CRM ID"
	const body = "Zoë;good@x.co;alt@x.co;other;0042\n" +
		"José;bad@;alt2@x.co;other;=0043\n" +
		"Ana;good2@x.co;alt3@x.co;nonsense;0044\n"
	win, _ := charmap.Windows1252.NewEncoder().String(header + "\n" + body)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(header+"\n"+body, ";", "\t"))
	inputs := map[string]string{
		"utf-8":             strings.ReplaceAll(header+"\n"+body, ";", ","),
		"utf-8, BOM, sep=;": "\ufeffsep=;\n" + header + "\n" + body,
		"windows-1252":      win,
		"utf-16le, tab":     u16,
		"utf-8, pipe, CRLF": strings.ReplaceAll(strings.ReplaceAll(header+"\n"+body, ";", "|"), "\n", "\r\n"),
	}
	const wantHead = "\ufeffrow\tsource_row\temail\tlinkedin_url\treason\tmessage\tuntil\terror\tmaybe_sent\tFirst Name\tE-mail (not read)\tCRM ID\n"
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			list, info := readAll(t, input, Options{Map: map[Field]string{FieldEmail: "Email"}})
			raw := failuresOf(t, list, info)
			if !bytes.HasPrefix(raw, []byte{0xFF, 0xFE, 'r', 0, 'o', 0, 'w', 0, '\t', 0}) {
				t.Fatalf("failures file starts % x, want a UTF-16LE BOM and a tab-separated header", raw[:min(len(raw), 10)])
			}
			text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(raw)
			if err != nil {
				t.Fatal(err)
			}
			want := wantHead +
				"3\t3\tbad@\t\tother\t\t\t\"email \"\"bad@\"\" has nothing after the @\"\t\tJosé\talt2@x.co\t\"'=0043\"\n" +
				"4\t4\tgood2@x.co\t\tnonsense\t\t\t"
			if !strings.HasPrefix("\ufeff"+string(text), want) {
				t.Errorf("failures file:\n%s\nwant it to start:\n%s", text, want)
			}
			// Two more rounds: the rows keep their first file's numbers.
			for round := 2; round <= 3; round++ {
				again, info2 := readAll(t, string(raw), Options{})
				if info2.Encoding != UTF16LE || info2.Delimiter != '\t' || len(again) != 2 {
					t.Fatalf("round %d: read as %s %q, %d rows", round, info2.Encoding, info2.Delimiter, len(again))
				}
				for i, src := range []int{3, 4} {
					r := again[i]
					if r.Num != i+2 || r.Source() != src || r.Raw != list[src-2].Raw || strings.Join(r.Extra, "|") != strings.Join(list[src-2].Extra, "|") {
						t.Errorf("round %d, row %d: %+v, want source %d and the values of %+v", round, i+2, r, src, list[src-2])
					}
				}
				raw = failuresOf(t, again, info2)
			}
		})
	}
}

// TestFailuresFileToAProgram: written for a program (standard output),
// the failures file is UTF-8 and comma-separated, without a BOM.
func TestFailuresFileToAProgram(t *testing.T) {
	list, info := readAll(t, "email;reason;Name\nbad;other;Zoë\n", Options{})
	var buf bytes.Buffer
	f, err := report.NewFailures(&buf, report.FailuresFormat{Kind: info.Kind, Extra: info.Extra})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(rows.Checked(list[0]))
	f.Flush()
	if want := "row,source_row,email,linkedin_url,reason,message,until,error,maybe_sent,Name\n2,2,bad,,other,,,\"email \"\"bad\"\" has no @\",,Zoë\n"; buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}
