// Package samples finds the project's sample exports (testdata/ at the
// module's root) for tests in any package: they are the fuzz targets'
// seed corpus and the golden tests' inputs.
package samples

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the absolute path of the samples folder.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Contents returns every sample file's text: every shape of real export
// the project knows about.
func Contents(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.*"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no sample files in %s: %v", Dir(), err)
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
