package listgen

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// WriteWorkbook writes spec's rows as an .xlsx workbook laid out as Excel
// saves one: every text cell a reference into a shared-strings table
// (excelize's StreamWriter writes inline strings instead, which readers
// meet far less often), dates as serial numbers.
func WriteWorkbook(w io.Writer, spec Spec) error {
	var list strings.Builder
	if err := Write(&list, spec); err != nil {
		return err
	}
	var rows [][]string
	for line := range strings.Lines(list.String()) {
		rows = append(rows, strings.Split(strings.TrimRight(line, "\n"), ","))
	}
	return WriteSheet(w, rows)
}

// WriteSheet writes rows (the first is the header) as a one-sheet workbook
// with a shared-strings table.
func WriteSheet(w io.Writer, rows [][]string) error {
	return writeSheet(w, rows, nil)
}

// writeSheet writes the workbook; strings, when set, writes the shared
// strings part instead of the table the cells use (for bombs).
func writeSheet(w io.Writer, rows [][]string, strings func(z *zip.Writer, name, head, tail string) error) error {
	z := zip.NewWriter(w)
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"xl/styles.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} {
		f, err := z.Create(name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, files[name]); err != nil {
			return err
		}
	}
	index := map[string]int{}
	var strs []string
	id := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(strs)
			index[s] = i
			strs = append(strs, s)
		}
		return i
	}
	sheet, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	b := bufio.NewWriterSize(sheet, 64<<10)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:%s%d"/><sheetData>`, column(maxCols(rows)-1), len(rows))
	for r, row := range rows {
		fmt.Fprintf(b, `<row r="%d">`, r+1)
		for c, v := range row {
			if v == "" {
				continue
			}
			fmt.Fprintf(b, `<c r="%s%d" t="s"><v>%d</v></c>`, column(c), r+1, id(v))
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	if err := b.Flush(); err != nil {
		return err
	}
	var table bytes.Buffer
	b = bufio.NewWriter(&table)
	for _, s := range strs {
		b.WriteString(`<si><t xml:space="preserve">`)
		xmlEscape(b, s)
		b.WriteString(`</t></si>`)
	}
	b.Flush()
	head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + table.String()
	if strings != nil {
		if err := strings(z, "xl/sharedStrings.xml", head, `</sst>`); err != nil {
			return err
		}
		return z.Close()
	}
	ss, err := z.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(ss, head+`</sst>`); err != nil {
		return err
	}
	return z.Close()
}

func maxCols(rows [][]string) int {
	n := 1
	for _, r := range rows {
		n = max(n, len(r))
	}
	return n
}

// column is the letters of a 0-based column: 0 → A, 26 → AA.
func column(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

func xmlEscape(w *bufio.Writer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		default:
			w.WriteRune(r)
		}
	}
}
