package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// TestAReportFooterIsNoInvalidRow: a Salesforce report ends with blank
// lines and a copyright: that is said once, and the file can exit 0.
func TestAReportFooterIsNoInvalidRow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := "Email,Reason\nann@example.com,unsubscribed\nbob@example.com,unsubscribed\n\n\n" +
		"\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\n\"Confidential Information - Do Not Distribute\"\n"
	os.WriteFile(filepath.Join(dir, "sf.csv"), []byte(list), 0o644)
	res := runBinary(t, dir, "", "validate", "--summary", "s.json", "sf.csv")
	if res.code != 0 || !strings.Contains(res.stderr, "footer") || !strings.Contains(readFile(t, dir, "s.json"), "footer") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}

// TestAnImportsReportIsARemovalList: the README calls an import's report a
// removal list: it reads as one, with no --map.
func TestAnImportsReportIsARemovalList(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{})
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"TOPO_API_KEY=" + topotest.DefaultToken, "TOPO_BASE_URL=" + srv.URL}
	list := copySample(t, dir, "dashboard.csv")
	if res := runBinaryEnv(t, dir, "", env, "import", list); res.code != 0 {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	res := runBinaryEnv(t, dir, "", env, "remove", "--yes", "--lift-optouts", "dashboard.report.csv")
	if res.code != 0 || len(srv.Records()) != 0 || strings.Contains(res.stderr, "ignoring") {
		t.Errorf("remove by the report: exit %d, %d records left\n%s", res.code, len(srv.Records()), res.stderr)
	}
}

// TestAWorkbookCutShortIsNeverComplete: a sheet whose XML ends between
// rows stops the run with the workbook named, and the outputs are left
// partial, never complete under their final names.
func TestAWorkbookCutShortIsNeverComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString(`<row r="1"><c t="inlineStr"><is><t>email</t></is></c><c t="inlineStr"><is><t>reason</t></is></c></row>`)
	for i := 2; i < 50; i++ {
		fmt.Fprintf(&rows, `<row r="%d"><c t="inlineStr"><is><t>p%d@example.com</t></is></c><c t="inlineStr"><is><t>other</t></is></c></row>`, i, i)
	}
	writeBook(t, filepath.Join(dir, "cut.xlsx"), rows.String()) // no </sheetData>
	res := runBinary(t, dir, "", "validate", "--summary", "s.json", "cut.xlsx")
	if res.code == 0 || res.code == 1 || !strings.Contains(res.stderr, "cut.xlsx") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "cut.validation.csv")); err == nil {
		t.Error("the report of a cut workbook took its final name")
	}
	if s := readFile(t, dir, "s.json"); !strings.Contains(s, `"partial": true`) {
		t.Errorf("summary:\n%s", s)
	}
}

// writeBook writes a one-sheet workbook whose sheet XML is rows, cut
// where rows ends.
func writeBook(t *testing.T, path, rows string) {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"_rels/.rels":                `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="List" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows,
	} {
		w, _ := z.Create(name)
		w.Write([]byte(body))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
