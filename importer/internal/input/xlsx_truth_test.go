package input

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// book is a workbook written byte for byte: sheets (name, state, the
// XML of its sheetData's content) and the shared strings.
type book struct {
	sheets  []bookSheet
	strings []string // nil: no shared-strings part
	raw     map[string]string
}

type bookSheet struct {
	name, state, rows string
	tail              string // after the rows; "" means "</sheetData></worksheet>"
	chart             bool   // a chartsheet, not a worksheet
}

const cutHere = "\x00cut" // a sheet's tail that ends its XML where it is

func (b book) write(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	var decl, rels strings.Builder
	for i, s := range b.sheets {
		state := ""
		if s.state != "" {
			state = fmt.Sprintf(` state="%s"`, s.state)
		}
		fmt.Fprintf(&decl, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, s.name, i+1, state, i+1)
		typ, dir, root := "worksheet", "worksheets", "worksheet"
		if s.chart {
			typ, dir, root = "chartsheet", "chartsheets", "chartsheet"
		}
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s/sheet%d.xml"/>`, i+1, typ, dir, i+1)
		body := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<` + root + ` xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + s.rows
		switch s.tail {
		case "":
			body += `</sheetData></` + root + `>`
		case cutHere:
		default:
			body += s.tail
		}
		put(fmt.Sprintf("xl/%s/sheet%d.xml", dir, i+1), body)
	}
	if b.strings != nil {
		fmt.Fprintf(&rels, `<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`)
		var sst strings.Builder
		for _, s := range b.strings {
			sst.WriteString("<si><t>" + s + "</t></si>")
		}
		put("xl/sharedStrings.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+sst.String()+`</sst>`)
	}
	put("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`+decl.String()+`</sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels.String()+`</Relationships>`)
	for name, body := range b.raw {
		put(name, body)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "list.xlsx", buf.Bytes())
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// inline is a row of inline-string cells.
func inline(r int, cells ...string) string {
	var b strings.Builder
	if r > 0 {
		fmt.Fprintf(&b, `<row r="%d">`, r)
	} else {
		b.WriteString(`<row>`)
	}
	for i, c := range cells {
		if c == "" {
			continue
		}
		ref := ""
		if r > 0 {
			ref = fmt.Sprintf(` r="%s%d"`, columnName(i), r)
		}
		fmt.Fprintf(&b, `<c%s t="inlineStr"><is><t>%s</t></is></c>`, ref, c)
	}
	return b.String() + `</row>`
}

const header = `<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c><c r="B1" t="inlineStr"><is><t>reason</t></is></c></row>`

// readBook reads every row of the workbook at path, and the error that
// ended reading (nil at the end of the rows).
func readBook(t *testing.T, path, sheet string) ([]rows.Row, Info, error) {
	t.Helper()
	r, err := OpenWorkbook(path, sheet, Options{Now: testNow, DefaultReason: "other"})
	if err != nil {
		return nil, Info{}, err
	}
	defer r.Close()
	var list []rows.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			if !r.Done() {
				t.Error("io.EOF but not Done")
			}
			return list, r.Info(), nil
		}
		if err != nil {
			if r.Done() {
				t.Error("Done after an error")
			}
			return list, r.Info(), err
		}
		list = append(list, row)
	}
}

type wantRow struct {
	num    int
	status rows.Status
	err    string
}

func checkRows(t *testing.T, got []rows.Row, want []wantRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
	}
	valid := map[int]bool{}
	for i, w := range want {
		g := got[i]
		if g.Num != w.num || g.Status != w.status || !strings.Contains(g.Err, w.err) || w.status == rows.StatusValid && g.Err != "" {
			t.Errorf("row %d: %d %s %q, want %d %s %q", i, g.Num, g.Status, g.Err, w.num, w.status, w.err)
		}
		if g.Status == rows.StatusValid {
			if valid[g.Num] {
				t.Errorf("two valid rows numbered %d: the journal would take one for the other", g.Num)
			}
			valid[g.Num] = true
		}
	}
}

// TestWorkbookRowNumbers: the journal knows rows by number, so a number
// used twice or going backwards is an invalid row, never a second valid
// row under the first one's number.
func TestWorkbookRowNumbers(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows string
		want []wantRow
	}{
		{"in order, with gaps", inline(2, "a@x.co") + inline(5, "b@x.co"), []wantRow{{2, "valid", ""}, {5, "valid", ""}}},
		{"without r=, after rows with it", inline(2, "a@x.co") + inline(0, "b@x.co") + inline(0, "c@x.co"),
			[]wantRow{{2, "valid", ""}, {3, "valid", ""}, {4, "valid", ""}}},
		{"a number used twice", inline(2, "a@x.co") + inline(2, "b@x.co") + inline(3, "c@x.co"),
			[]wantRow{{2, "valid", ""}, {2, "invalid", "the sheet numbers a second row 2"}, {3, "valid", ""}}},
		{"backwards", inline(2, "a@x.co") + inline(5, "b@x.co") + inline(3, "c@x.co") + inline(6, "d@x.co"),
			[]wantRow{{2, "valid", ""}, {5, "valid", ""}, {3, "invalid", "the sheet numbers this row 3, after row 5"}, {6, "valid", ""}}},
		{"without r=, onto a number already used", inline(0, "a@x.co") + inline(0, "b@x.co") + inline(2, "c@x.co"),
			[]wantRow{{2, "valid", ""}, {3, "valid", ""}, {2, "invalid", "row 2, after row 3"}}},
		{"a header's number again", inline(1, "a@x.co"), []wantRow{{1, "invalid", "second row 1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rowsXML := tc.rows
			if !strings.HasPrefix(rowsXML, "<row>") {
				rowsXML = header + rowsXML
			} else {
				rowsXML = inline(0, "email", "reason") + rowsXML
			}
			got, _, err := readBook(t, book{sheets: []bookSheet{{name: "S", rows: rowsXML}}}.write(t), "")
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, got, tc.want)
		})
	}
}

// TestWorkbookCutShort: a sheet whose XML ends before </sheetData> is an
// error naming the workbook, the sheet and the last row read, wherever
// it was cut; never the end of the list.
func TestWorkbookCutShort(t *testing.T) {
	rowsXML := header + inline(2, "a@x.co") + inline(3, "b@x.co")
	for _, tc := range []struct{ name, tail, want string }{
		{"between rows", "", `sheet "S": the sheet's data ends early, after row 3, without its closing </sheetData>`},
		{"inside a cell", `<row r="4"><c r="A4" t="inlineStr"><is>`, "after row 3, without its closing"},
		{"inside a text node", `<row r="4"><c r="A4" t="inlineStr"><is><t>c@x.c`, "after row 3, without its closing"},
		{"inside a tag", `<row r="4"><c r="A4" t="inl`, `sheet "S", after row 3: XML syntax error`},
		{"before the first row", "-", "before its first row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rowsXML + tc.tail
			if tc.tail == "-" {
				r = ""
			}
			path := book{sheets: []bookSheet{{name: "S", rows: r, tail: cutHere}}}.write(t)
			got, _, err := readBook(t, path, "")
			if tc.tail == "-" {
				var setup *SetupError
				if !errors.As(err, &setup) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want a SetupError saying %q", err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err %v, want one naming %s and saying %q", err, path, tc.want)
			}
			if len(got) != 2 {
				t.Errorf("%d rows before the cut, want 2", len(got))
			}
		})
	}
	t.Run("whole, the end is the end", func(t *testing.T) {
		got, _, err := readBook(t, book{sheets: []bookSheet{{name: "S", rows: rowsXML, tail: "</sheetData><mergeCells/></worksheet>"}}}.write(t), "")
		if err != nil || len(got) != 2 {
			t.Fatalf("%d rows, %v", len(got), err)
		}
	})
}

// TestWorkbookSharedStrings: a shared-string index the table does not
// have is an invalid cell named by its reference, not an empty cell (an
// empty until would mean forever, an empty reason the default).
func TestWorkbookSharedStrings(t *testing.T) {
	strs := []string{"email", "reason", "until", "a@x.co", "competitor"}
	head := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>`
	for _, tc := range []struct {
		name    string
		strings []string
		row     string
		want    wantRow
	}{
		{"in range", strs, `<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c></row>`, wantRow{2, "valid", ""}},
		{"out of range", strs, `<row r="7"><c r="A7" t="s"><v>3</v></c><c r="B7" t="s"><v>4</v></c><c r="C7" t="s"><v>99</v></c></row>`,
			wantRow{7, "invalid", "cell C7 refers to shared string 99, which the workbook does not have (its table holds 5)"}},
		{"negative, no cell references", strs, `<row r="3"><c t="s"><v>3</v></c><c t="s"><v>-1</v></c></row>`,
			wantRow{3, "invalid", "cell B3 refers to shared string -1"}},
		{"not a number", strs, `<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>x</v></c></row>`,
			wantRow{2, "invalid", `cell B2: "x" is no shared-string index`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := readBook(t, book{strings: tc.strings, sheets: []bookSheet{{name: "S", rows: head + tc.row}}}.write(t), "")
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, got, []wantRow{tc.want})
		})
	}
	t.Run("no table at all", func(t *testing.T) {
		rowsXML := header + `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`
		got, _, err := readBook(t, book{sheets: []bookSheet{{name: "S", rows: rowsXML}}}.write(t), "")
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, got, []wantRow{{2, "invalid", "cell A2 refers to shared string 0, which the workbook does not have (its table holds 0)"}})
	})
}

// TestWorkbookHiddenFirstSheet: the first sheet is read when no --sheet
// names one; hidden, it is read with a warning naming the visible ones.
func TestWorkbookHiddenFirstSheet(t *testing.T) {
	data := header + inline(2, "a@x.co")
	for _, tc := range []struct {
		name, state, sheet, want string
	}{
		{"visible", "", "", ""},
		{"hidden", "hidden", "", `reading the first sheet, "Old", which is hidden in Excel: the visible sheets are "List", "Notes"; name the sheet to read with --sheet`},
		{"very hidden", "veryHidden", "", `which is very hidden (only a macro can show it)`},
		{"hidden, named with --sheet", "hidden", "old", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := book{sheets: []bookSheet{{name: "Old", state: tc.state, rows: data}, {name: "List", rows: data}, {name: "Notes", rows: data}}}.write(t)
			_, info, err := readBook(t, path, tc.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if info.Sheet != "Old" {
				t.Errorf("read sheet %q", info.Sheet)
			}
			switch {
			case tc.want == "" && len(info.Warnings) > 0:
				t.Errorf("warnings %q, want none", info.Warnings)
			case tc.want != "" && (len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], tc.want)):
				t.Errorf("warnings %q, want one saying %q", info.Warnings, tc.want)
			}
		})
	}
	t.Run("a chart sheet first is no worksheet", func(t *testing.T) {
		path := book{sheets: []bookSheet{{name: "Chart", chart: true}, {name: "List", rows: data}}}.write(t)
		_, info, err := readBook(t, path, "")
		if err != nil || info.Sheet != "List" {
			t.Fatalf("read %q, %v", info.Sheet, err)
		}
	})
}

// FuzzSheet reads any sheetData content: it must never panic, never
// return two valid rows under one number, and end either at the sheet's
// end or with an error.
func FuzzSheet(f *testing.F) {
	f.Add(inline(2, "a@x.co") + inline(2, "b@x.co"))
	f.Add(inline(0, "a@x.co") + `<row r="3"><c r="A3" t="s"><v>7</v></c></row>`)
	f.Add(`<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[a@x.co]]></t></is></c></row>`)
	f.Fuzz(func(t *testing.T, rowsXML string) {
		path := book{strings: []string{"a@x.co"}, sheets: []bookSheet{{name: "S", rows: header + rowsXML}}}.write(t)
		got, _, _ := readBook(t, path, "")
		valid := map[int]bool{}
		for _, r := range got {
			if r.Status == rows.StatusValid {
				if valid[r.Num] {
					t.Fatalf("two valid rows numbered %d", r.Num)
				}
				valid[r.Num] = true
			}
		}
	})
}
