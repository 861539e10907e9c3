package input

import (
	"os"
	"path/filepath"
	"testing"
)

// seedFiles returns the sample lists in ../../testdata, the fuzz targets'
// seed corpus: every shape of real export the project knows about.
func seedFiles(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*.*"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no sample files in ../../testdata: %v", err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
