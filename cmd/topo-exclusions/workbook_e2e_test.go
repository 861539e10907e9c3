package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/topo-io/topo-exclusions/importer/topotest"
)

// writeWorkbook makes the workbook the tests read: an Excel date, a date
// with a time, a date stored as text, numbers stored as text, a formula
// with its cached value, an empty row, and a second sheet.
func writeWorkbook(t *testing.T) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const s = "Sheet1"
	set := func(cell string, v any) {
		if err := f.SetCellValue(s, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range []string{"E-mail", "LinkedIn URL", "Reason", "Notes", "Expires"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		set(cell, h)
	}
	set("A2", "Alice@Example.com")
	set("C2", "unsubscribed")
	set("E2", time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)) // a typed Excel date
	set("A3", "bob@example.com")
	set("C3", "competitor")
	set("D3", "00123") // a number stored as text keeps its zeros
	set("E3", "2099-06-30")
	set("B4", "linkedin.com/in/Carol-Diaz/")
	set("C4", "other")
	set("E4", time.Date(2099, 1, 2, 15, 30, 0, 0, time.UTC))
	// A formula, read as the value Excel saved with it, never evaluated.
	set("E5", time.Date(2098, 3, 4, 0, 0, 0, 0, time.UTC))
	if err := f.SetCellFormula(s, "E5", "DATE(2098,3,4)"); err != nil {
		t.Fatal(err)
	}
	set("A5", "dan@example.com")
	set("C5", "bounced")
	// Row 6 is empty; row 7 has problems.
	set("A7", "not-an-email")
	set("C7", "spam")
	set("E7", 12.5) // 1900-01-12 noon: in the past
	if _, err := f.NewSheet("Other"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Other", "A1", "email"); err != nil {
		t.Fatal(err)
	}
	f.SetCellValue("Other", "B1", "reason")
	f.SetCellValue("Other", "A2", "zed@example.com")
	f.SetCellValue("Other", "B2", "other")
	path := filepath.Join(t.TempDir(), "crm export.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateWorkbook(t *testing.T) {
	t.Parallel()
	book := writeWorkbook(t)
	dir := t.TempDir()
	res := runBinary(t, dir, "", "validate", "--report", "r.csv", "--failures", "f.csv", book)
	if res.code != 1 || !strings.Contains(res.stderr, `xlsx, sheet "Sheet1"`) {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	golden(t, "workbook.xlsx.report.csv", readFile(t, dir, "r.csv"))
	golden(t, "workbook.xlsx.failures.csv", readFile(t, dir, "f.csv"))

	// The failures file is a CSV that goes straight back in: the same
	// rows come out, numbered as rows of the failures file.
	again := runBinary(t, dir, "", "validate", "--report", "r2.csv", "--failures", "f2.csv", "f.csv")
	if again.code != 1 || withoutRows(readFile(t, dir, "f2.csv")) != withoutRows(readFile(t, dir, "f.csv")) {
		t.Errorf("the failures file did not round-trip: exit %d\n%s", again.code, again.stderr)
	}
	other := runBinary(t, dir, "", "validate", "--sheet", "other", "--report", "r3.csv", "--failures", "f3.csv", book)
	if other.code != 0 || !strings.Contains(readFile(t, dir, "r3.csv"), "zed@example.com") {
		t.Errorf("--sheet other: exit %d\n%s", other.code, other.stderr)
	}
	missing := runBinary(t, dir, "", "validate", "--sheet", "Nope", book)
	if missing.code != 2 || !strings.Contains(missing.stderr, `"Sheet1", "Other"`) {
		t.Errorf("--sheet Nope: exit %d\n%s", missing.code, missing.stderr)
	}
}

func TestImportWorkbook(t *testing.T) {
	t.Parallel()
	srv := topotest.NewServer(topotest.Options{FailAfterCommit: 0.3, Seed: 5})
	defer srv.Close()
	res, rows, _ := importRun(t, srv, topotest.DefaultToken, writeWorkbook(t))
	if res.code != 1 || statuses(rows)["created"] != 4 || statuses(rows)["invalid"] != 1 || srv.Stats().DuplicateCreates != 0 {
		t.Fatalf("exit %d, statuses %v\n%s", res.code, statuses(rows), res.stderr)
	}
	for _, r := range srv.Records() {
		if r.Email != nil && *r.Email == "alice@example.com" && (r.Until == nil || *r.Until != "2099-12-31T23:59:59Z") {
			t.Errorf("alice's until was sent as %v", r.Until)
		}
	}
}

// withoutRows drops the row column (the first) of a failures file.
func withoutRows(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		_, rest, _ := strings.Cut(line, ",")
		b.WriteString(rest)
	}
	return b.String()
}
