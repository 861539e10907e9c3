package input

import (
	"archive/zip"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestWorkbookCellOverTheBound: a cell over MaxRecordBytes makes its row
// invalid, as a CSV record over it does, naming the cell; the rows
// around it are read.
func TestWorkbookCellOverTheBound(t *testing.T) {
	big := strings.Repeat("x", MaxRecordBytes+10)
	half := strings.Repeat("y", MaxRecordBytes/2+10)
	for _, tc := range []struct {
		name, row, want string
	}{
		{"inline text", `<row r="3"><c r="A3" t="inlineStr"><is><t>` + big + `</t></is></c></row>`, "cell A3 holds more than 1048576 bytes"},
		{"a value", `<row r="3"><c r="B3"><v>` + big + `</v></c></row>`, "cell B3 holds more than 1048576 bytes"},
		{"in CDATA", `<row r="3"><c r="A3" t="inlineStr"><is><t><![CDATA[` + big + `]]></t></is></c></row>`, "cell A3 holds more than"},
		{"rich text runs", `<row r="3"><c r="A3" t="inlineStr"><is><r><t>` + half + `</t></r><r><t>` + half + `</t></r></is></c></row>`, "row over 1048576 bytes (cell A3 takes it past"},
		{"two cells", `<row r="3"><c r="A3" t="inlineStr"><is><t>` + half + `</t></is></c><c r="B3"><v>` + half + `</v></c></row>`, "row over 1048576 bytes (cell B3 takes it past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rowsXML := header + inline(2, "a@x.co") + tc.row + inline(4, "b@x.co")
			got, _, err := readBook(t, book{sheets: []bookSheet{{name: "S", rows: rowsXML}}}.write(t), "")
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, got, []wantRow{{2, "valid", ""}, {3, "invalid", tc.want}, {4, "valid", ""}})
			for _, v := range []string{got[1].Raw.Email, got[1].Raw.Reason} {
				if len(v) > glimpseBytes+len("…") {
					t.Errorf("the report would carry %d bytes of the cell", len(v))
				}
			}
		})
	}
	t.Run("under the bound", func(t *testing.T) {
		rowsXML := header + `<row r="2"><c r="A2" t="inlineStr"><is><t>a@x.co</t></is></c><c r="C2"><v>` + half + `</v></c></row>`
		got, _, err := readBook(t, book{sheets: []bookSheet{{name: "S", rows: rowsXML}}}.write(t), "")
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, got, []wantRow{{2, "valid", ""}})
	})
}

// TestWorkbookBigCellInBoundedMemory is the 600 MiB inline cell
// in a small file: what reading costs does not grow with the cell (8 MiB
// and 32 MiB cost the same).
func TestWorkbookBigCellInBoundedMemory(t *testing.T) {
	small, large := bigWorkbookCellAlloc(t, 8), bigWorkbookCellAlloc(t, 32)
	t.Logf("allocated %d MiB for an 8 MiB cell, %d MiB for 32 MiB", small>>20, large>>20)
	if large > small+4<<20 {
		t.Errorf("a 32 MiB cell cost %d MiB, an 8 MiB one %d MiB: memory grows with the cell", large>>20, small>>20)
	}
}

func bigWorkbookCellAlloc(t *testing.T, mib int) uint64 {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	parts := map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, body := range parts {
		w, _ := z.Create(name)
		io.WriteString(w, body)
	}
	w, _ := z.Create("xl/worksheets/sheet1.xml")
	io.WriteString(w, `<worksheet><sheetData>`+header+inline(2, "a@x.co")+`<row r="3"><c r="A3" t="inlineStr"><is><t>`)
	chunk := []byte(strings.Repeat(`&lt;/t&gt;&lt;/is&gt;&lt;/c&gt;&lt;/row&gt;&lt;row r="9"&gt;`, 1<<8)) // text that looks like rows
	for range mib << 20 / len(chunk) {
		w.Write(chunk)
	}
	io.WriteString(w, `</t></is></c></row>`+inline(4, "b@x.co")+`</sheetData></worksheet>`)
	z.Close()
	path := writeTemp(t, "big.xlsx", buf.Bytes())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, _, err := readBook(t, path, "")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, got, []wantRow{{2, "valid", ""}, {3, "invalid", "cell A3 holds more than"}, {4, "valid", ""}})
	return after.TotalAlloc - before.TotalAlloc
}
