package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func utf16le(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFailuresFileOpensInEveryExcel: whatever the input — UTF-8 with
// commas, Excel's "CSV UTF-8" with semicolons, a Windows-1252 export, a
// UTF-16 "Unicode text" file, a workbook — the failures file is one that
// every Excel opens in columns with José spelt right: UTF-16LE with a BOM,
// tab-separated, the input's other columns after the tool's own. Written
// to standard output, for a program, it is UTF-8 with commas.
func TestFailuresFileOpensInEveryExcel(t *testing.T) {
	t.Parallel()
	const text = "Name;CRM ID;email;reason\nJosé;0042;bad@;other\n"
	win, _ := charmap.Windows1252.NewEncoder().String(strings.ReplaceAll(text, "\n", "\r\n"))
	book := func(t *testing.T, dir string) string {
		f := excelize.NewFile()
		defer f.Close()
		for i, v := range []string{"Name", "CRM ID", "email", "reason", "José", "0042", "bad@", "other"} {
			cell, _ := excelize.CoordinatesToCellName(i%4+1, i/4+1)
			f.SetCellValue("Sheet1", cell, v)
		}
		path := filepath.Join(dir, "in.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		return "in.xlsx"
	}
	file := func(name string, content []byte) func(*testing.T, string) string {
		return func(t *testing.T, dir string) string {
			os.WriteFile(filepath.Join(dir, name), content, 0o644)
			return name
		}
	}
	want := utf16le(t, "row\tsource_row\temail\tlinkedin_url\treason\tmessage\tuntil\terror\tmaybe_sent\tName\tCRM ID\n"+
		"2\t2\tbad@\t\tother\t\t\t\"email \"\"bad@\"\" has nothing after the @\"\t\tJosé\t0042\n")
	for _, tc := range []struct {
		name  string
		input func(*testing.T, string) string
	}{
		{"CSV UTF-8", file("in.csv", []byte(strings.ReplaceAll(text, ";", ",")))},
		{"CSV UTF-8 with a BOM and ;", file("in.csv", []byte("\ufeff"+text))},
		{"CSV with sep=;", file("in.csv", []byte("sep=;\n"+text))},
		{"Windows-1252", file("in.csv", []byte(win))},
		{"UTF-16 text", file("in.txt", utf16le(t, strings.ReplaceAll(text, ";", "\t")))},
		{"workbook", book},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := tc.input(t, dir)
			if res := runBinary(t, dir, "", "validate", "--report", "r.csv", "--failures", "f.csv", in); res.code != 1 {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "f.csv"))
			if !bytes.Equal(got, want) {
				t.Errorf("failures file:\n% x\nwant:\n% x", got, want)
			}
		})
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte("\ufeff"+text), 0o644)
	res := runBinary(t, dir, "", "validate", "--report", "r.csv", "--failures", "-", "in.csv")
	programs := "row,source_row,email,linkedin_url,reason,message,until,error,maybe_sent,Name,CRM ID\n" +
		"2,2,bad@,,other,,,\"email \"\"bad@\"\" has nothing after the @\",,José,0042\n"
	if res.stdout != programs {
		t.Errorf("on standard output:\n%q\nwant:\n%q", res.stdout, programs)
	}
	// --failures-format csv: the same on disk, for a script.
	runBinary(t, dir, "", "validate", "--force", "--report", "r.csv", "--failures", "f.csv", "--failures-format", "csv", "in.csv")
	if got := readRaw(t, dir, "f.csv"); got != programs {
		t.Errorf("--failures-format csv:\n%q\nwant:\n%q", got, programs)
	}
}

// TestSourceRowThroughEveryRound: an export's rows 3 and 5 fail; run
// again as it is (with the --map the export needed), round after round,
// the failures file still says rows 3 and 5 of the export, keeps the
// export's other columns (the second email column that --map passed over
// marked as not read), and reads back without a word about its own
// columns.
func TestSourceRowThroughEveryRound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "export.csv"), []byte("Work Email,Email,Reason,Contact ID\n"+
		"ann@x.co,ann@home.co,unsubscribed,101\n"+
		"not-an-email,ben@home.co,unsubscribed,102\n"+
		"cat@x.co,cat@home.co,unsubscribed,103\n"+
		"dan@x.co,dan@home.co,no such reason,104\n"), 0o644)
	in, mapped := "export.csv", []string{"--map", "email=Work Email"}
	for round := 1; round <= 3; round++ {
		out := []string{"r.csv", "f1.csv", "f2.csv", "f3.csv"}
		args := append([]string{"validate", "--force", "--report", out[0], "--failures", out[round]}, mapped...)
		res := runBinary(t, dir, "", append(args, in)...)
		if res.code != 1 || round > 1 && strings.Contains(res.stderr, "not read: columns email") {
			t.Fatalf("round %d: exit %d\n%s", round, res.code, res.stderr)
		}
		rows := csvRecords(t, readFile(t, dir, out[round]))
		if got := strings.Join(rows[0], ","); got != "row,source_row,email,linkedin_url,reason,message,until,error,maybe_sent,Email (not read),Contact ID" {
			t.Fatalf("round %d: header %s", round, got)
		}
		for i, want := range [][]string{{"3", "not-an-email", "ben@home.co", "102"}, {"5", "dan@x.co", "dan@home.co", "104"}} {
			r := rows[i+1]
			if r[1] != want[0] || r[2] != want[1] || r[9] != want[2] || r[10] != want[3] {
				t.Errorf("round %d, line %d: %q, want source_row %s and %q", round, i+2, r, want[0], want[1:])
			}
		}
		in = out[round]
	}
}

func readRaw(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
