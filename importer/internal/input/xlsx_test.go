package input

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/internal/listgen"
)

// TestWorkbookBombsAreRefused: workbooks built to decompress a
// thousandfold are refused before they are decompressed, with a message
// that says why; neither the 40 million shared strings in 1.65 MB
// nor hundreds of MiB of text in a few MB is read.
func TestWorkbookBombsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries int
		text    string
		want    string
	}{
		{"40 million empty shared strings", 40_000_000, "", "shared strings decompress"},
		{"400 shared strings of 1 MiB", 400, strings.Repeat("a", 1<<20), "shared strings decompress"},
		{"more entries than cells, small", 50_000, "x", "more than 10012 entries, more than its cells could use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bomb.xlsx")
			var buf bytes.Buffer
			if err := listgen.WriteStringsBomb(&buf, tc.entries, tc.text); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, buf.Bytes(), 0o644)
			t.Logf("%s: %d KiB", tc.name, buf.Len()>>10)
			_, err := OpenWorkbook(path, "", Options{})
			var bomb *BombError
			if !errors.As(err, &bomb) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want a BombError saying %q", err, tc.want)
			}
		})
	}
}

// TestWorkbookAsExcelSavesIt reads a workbook with a shared-strings table
// (listgen writes it as Excel does) and finds every row.
func TestWorkbookAsExcelSavesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.xlsx")
	var buf bytes.Buffer
	if err := listgen.WriteWorkbook(&buf, listgen.Spec{Rows: 2000, Seed: 3, DuplicateEvery: 10}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o644)
	r, err := OpenWorkbook(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, dups := 0, 0
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		n++
		if row.Status == "duplicate" {
			dups++
		}
		if n == 1 && (row.Num != 2 || row.Norm.Reason == "") {
			t.Errorf("first row %+v", row)
		}
	}
	if n != 2000 || dups == 0 {
		t.Errorf("%d rows, %d duplicates", n, dups)
	}
}
