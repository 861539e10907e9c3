package input

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
	"github.com/topo-io/topo-exclusions/internal/samples"
)

var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func readAll(t *testing.T, input string, opt Options) ([]rows.Row, Info) {
	t.Helper()
	if opt.Now.IsZero() {
		opt.Now = testNow
	}
	r, err := NewReader(strings.NewReader(input), opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var list []rows.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return list, r.Info()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		list = append(list, row)
	}
}

func TestReaderEncodings(t *testing.T) {
	const text = "email;reason;message\r\nrené@example.fr;other;Coût 5 €\r\n"
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(text)
	noBOM16, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(text)
	cp1252, _ := charmap.Windows1252.NewEncoder().String(text)
	tests := []struct {
		name, input string
		force       Encoding
		want        Encoding
	}{
		{"utf-8", text, EncodingAuto, UTF8},
		{"utf-8 with BOM", "\ufeff" + text, EncodingAuto, UTF8},
		{"utf-16le BOM", utf16le, EncodingAuto, UTF16LE},
		{"utf-16be BOM", utf16be, EncodingAuto, UTF16BE},
		{"utf-16le without BOM", noBOM16, EncodingAuto, UTF16LE},
		{"windows-1252", cp1252, EncodingAuto, Windows1252},
		{"windows-1252 forced", cp1252, Windows1252, Windows1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, info := readAll(t, tt.input, Options{Encoding: tt.force})
			if info.Encoding != tt.want || info.Delimiter != ';' {
				t.Errorf("read as %s with %q, want %s with ';'", info.Encoding, info.Delimiter, tt.want)
			}
			if len(list) != 1 || list[0].Norm.Email != "rené@example.fr" || list[0].Norm.Message != "Coût 5 €" {
				t.Fatalf("rows = %+v", list)
			}
			if info.Columns[FieldEmail] != "email" {
				t.Errorf("email column %q (a BOM left on the header?)", info.Columns[FieldEmail])
			}
		})
	}
}

func TestReaderFallsBackToWindows1252PerByte(t *testing.T) {
	// A UTF-8 file with one row pasted from a Windows tool, past the sniffed head.
	input := "email,reason,message\n" + strings.Repeat("a@example.com,other,plain\n", 4000) +
		"b@example.com,other,caf\xe9\n"
	r, err := NewReader(strings.NewReader(input), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var last rows.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		last = row
	}
	if last.Norm.Message != "café" || r.FallbackBytes() != 1 || r.Info().Encoding != UTF8 {
		t.Fatalf("message %q, fallback %d, encoding %s", last.Norm.Message, r.FallbackBytes(), r.Info().Encoding)
	}
}

func TestReaderOldMacLineEndings(t *testing.T) {
	list, _ := readAll(t, "email;reason\ra@b.co;other\r\rc@d.co;\"two\rlines\"\r", Options{DefaultReason: "other"})
	if len(list) != 2 || list[0].Num != 2 || list[1].Num != 4 || list[1].Norm.Email != "c@d.co" {
		t.Fatalf("CR-only lines: %+v", list)
	}
}

func TestReaderDelimiters(t *testing.T) {
	tests := []struct {
		name, input string
		force       byte
		want        byte
	}{
		{"comma", "email,reason\na@b.co,other\n", 0, ','},
		{"one column: comma, as spreadsheets write it", "email\na@b.co\n", 0, ','},
		{"semicolon", "email;reason\na@b.co;other\n", 0, ';'},
		{"tab", "email\treason\na@b.co\tother\n", 0, '\t'},
		{"quoted header with commas in a semicolon file", "\"a,b,c\";email;reason\nx;a@b.co;other\n", 0, ';'},
		{"Excel sep= line", "sep=;\nemail;reason\na@b.co;other\n", 0, ';'},
		{"forced", "email|reason\na@b.co|other\n", '|', '|'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, info := readAll(t, tt.input, Options{Delimiter: tt.force, DefaultReason: "other"})
			if info.Delimiter != tt.want {
				t.Errorf("delimiter %q, want %q", info.Delimiter, tt.want)
			}
			if len(got) != 1 || got[0].Status != rows.StatusValid || got[0].Num != 2 {
				t.Errorf("rows = %+v", got)
			}
		})
	}
}

func TestReaderHeaders(t *testing.T) {
	tests := []struct {
		header string
		opt    Options
		want   map[Field]string
		err    string
	}{
		{header: "LinkedIn URL,Reason", want: map[Field]string{FieldLinkedInURL: "LinkedIn URL", FieldReason: "Reason"}},
		{header: "linkedin_url,REASON", want: map[Field]string{FieldLinkedInURL: "linkedin_url", FieldReason: "REASON"}},
		{header: "Linkedin-Url,reason", want: map[Field]string{FieldLinkedInURL: "Linkedin-Url"}},
		{header: "E-mail,Email Address", err: "both look like email"},
		{header: "E-mail Address,Note(s),Expiration,reason", want: map[Field]string{FieldEmail: "E-mail Address", FieldMessage: "Note(s)", FieldUntil: "Expiration"}},
		{header: "linkedin profile,comment,expires,reason", want: map[Field]string{FieldLinkedInURL: "linkedin profile", FieldMessage: "comment", FieldUntil: "expires"}},
		{header: "Work E-mail,Why", opt: Options{Map: map[Field]string{FieldEmail: "Work E-mail", FieldReason: "why"}}, want: map[Field]string{FieldEmail: "Work E-mail", FieldReason: "Why"}},
		{header: "email,reason", opt: Options{Map: map[Field]string{FieldEmail: "Mail"}}, err: "no such column"},
		{header: "name,company", err: "no email or linkedin_url column"},
		{header: "email", err: "--default-reason"},
		{header: "email", opt: Options{DefaultReason: "Unsubscribed"}, want: map[Field]string{FieldEmail: "email"}},
		{header: "email,reason", opt: Options{DefaultReason: "spam"}, err: "--default-reason"},
		{header: "", err: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			in := tt.header
			if in != "" {
				in += "\n"
			}
			r, err := NewReader(strings.NewReader(in), tt.opt)
			if tt.err != "" {
				var setup *SetupError
				if !errors.As(err, &setup) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want a SetupError containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for f, h := range tt.want {
				if got := r.Info().Columns[f]; got != h {
					t.Errorf("%s ← %q, want %q", f, got, h)
				}
			}
		})
	}
}

func TestReaderRows(t *testing.T) {
	input := "email,reason,note,extra\n" +
		"A@Example.com,Unsubscribed,\"two\nlines\",x\n" +
		"\n" +
		"b@example.com,,,x\n" +
		"a@example.com,competitor,,x\n" +
		"c@example.com,other,too,many,x\n" +
		"'=d@example.com,other,'=SUM(A1),x\n" +
		",other,,x\n"
	list, info := readAll(t, input, Options{DefaultReason: "bounced"})
	if len(info.Ignored) != 1 || info.Ignored[0] != "extra" {
		t.Errorf("ignored %q, want [extra]", info.Ignored)
	}
	want := []struct {
		num    int
		status rows.Status
		err    string
	}{
		{2, rows.StatusValid, ""},
		{4, rows.StatusValid, ""}, // the blank line is row 3, as a spreadsheet shows it
		{5, rows.StatusDuplicate, "duplicate of row 2 (same email)"},
		{6, rows.StatusInvalid, "malformed row: 5 fields where the header has 4"},
		{7, rows.StatusValid, ""}, // '=' is a legal character in an address
		{8, rows.StatusInvalid, "email and linkedin_url are both empty"},
	}
	if len(list) != len(want) {
		t.Fatalf("got %d rows: %+v", len(list), list)
	}
	for i, w := range want {
		r := list[i]
		if r.Num != w.num || r.Status != w.status || !strings.Contains(r.Err, w.err) {
			t.Errorf("row %d: %d %s %q; want %d %s %q", i, r.Num, r.Status, r.Err, w.num, w.status, w.err)
		}
	}
	if list[0].Norm.Message != "two\nlines" || list[0].Norm.Reason != "UNSUBSCRIBED" {
		t.Errorf("row 2 normalised to %+v", list[0].Norm)
	}
	if list[1].Norm.Reason != "BOUNCED" || list[1].Raw.Reason != "BOUNCED" {
		t.Errorf("the default reason did not fill row 4: %+v", list[1])
	}
	if list[4].Raw.Message != "=SUM(A1)" || list[4].Norm.Email != "=d@example.com" {
		t.Errorf("the formula guard was not stripped on input: %q", list[4].Raw.Message)
	}
}

// FuzzReader reads any bytes as a list: it must never panic, never number
// rows backwards, and give every row a status and, unless valid, a reason.
func FuzzReader(f *testing.F) {
	for _, s := range samples.Contents(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		r, err := NewReader(strings.NewReader(string(input)), Options{Now: testNow, DefaultReason: "other"})
		if err != nil {
			var setup *SetupError
			if !errors.As(err, &setup) {
				t.Fatalf("NewReader: %v is not a SetupError", err)
			}
			return
		}
		prev := 1
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if row.Num <= prev {
				t.Fatalf("row %d after row %d", row.Num, prev)
			}
			prev = row.Num
			switch row.Status {
			case rows.StatusValid:
				if row.Norm.Email == "" && row.Norm.LinkedInURL == "" && row.Norm.Domain == "" || row.Norm.Reason == "" {
					t.Fatalf("valid row %d lacks a key or reason: %+v", row.Num, row.Norm)
				}
			case rows.StatusInvalid, rows.StatusDuplicate:
				if row.Err == "" {
					t.Fatalf("row %d is %s with no reason given", row.Num, row.Status)
				}
			default:
				t.Fatalf("row %d has status %q", row.Num, row.Status)
			}
		}
	})
}

func TestReaderKinds(t *testing.T) {
	tests := []struct {
		header string
		kind   topo.Kind
		want   topo.Kind
		err    string
	}{
		{"email,reason", topo.KindAuto, topo.Contacts, ""},
		{"Website,Reason", topo.KindAuto, topo.Accounts, ""},
		{"Email,Company Domain,Reason", topo.KindAuto, topo.Contacts, ""},
		{"Email,Company Domain,Reason", topo.Accounts, topo.Accounts, ""},
		{"email,reason", topo.Accounts, 0, "no domain column"},
		{"domain,reason", topo.Contacts, 0, "no email or linkedin_url column"},
	}
	for _, tt := range tests {
		r, err := NewReader(strings.NewReader(tt.header+"\n"), Options{Kind: tt.kind})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q as %s: err %v, want %q", tt.header, tt.kind, err, tt.err)
			}
			continue
		}
		if err != nil || r.Info().Kind != tt.want {
			t.Errorf("%q as %s: %v, kind %v; want %s", tt.header, tt.kind, err, r.Info().Kind, tt.want)
		}
	}
	r, _ := NewReader(strings.NewReader("Email,Company Domain,Reason\n"), Options{Kind: topo.Accounts})
	if got := r.Info().Ignored; len(got) != 1 || got[0] != "Email" {
		t.Errorf("accounts read from a file with emails should say the emails are ignored: %q", got)
	}
	if _, err := rows.ParseKind("contacts"); err != nil {
		t.Error(err)
	}
	if _, err := rows.ParseKind("people"); err == nil {
		t.Error("ParseKind accepted people")
	}
}
