package main

import (
	"bufio"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDistBuildsTheHostBinary runs 'make dist' for this machine's target
// alone, into a temporary folder: the archive is there, SHA256SUMS holds
// its real sum, the binary says the version it was given, and on Linux it
// is static (no interpreter, no shared library). Warm, about 2 s; the
// first time a machine builds with -trimpath and CGO_ENABLED=0, the
// standard library is compiled once more (about 35 s on 2 cores).
func TestDistBuildsTheHostBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release binary")
	}
	t.Parallel()
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	const version = "v0.0.0-disttest"
	target := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command(mk, "-s", "-C", root, "dist", "DIST="+out, "DIST_TARGETS="+target, "VERSION="+version, "GO="+goCmd)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, b)
	}
	name := "topo-exclusions_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH
	archive := name + ".tar.gz"
	exe := "topo-exclusions"
	if runtime.GOOS == "windows" {
		archive, exe = name+".zip", exe+".exe"
	}
	sums := readSums(t, filepath.Join(out, "SHA256SUMS"))
	body, err := os.ReadFile(filepath.Join(out, archive))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(body); sums[archive] != hex.EncodeToString(sum[:]) || len(sums) != 1 {
		t.Errorf("SHA256SUMS %v does not hold %s's sum", sums, archive)
	}
	bin := filepath.Join(out, name, exe)
	got, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(got)) != "topo-exclusions "+version {
		t.Errorf("--version: %q, %v; want topo-exclusions %s", got, err, version)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		libs, _ := f.ImportedLibraries()
		if len(libs) > 0 || f.Section(".interp") != nil {
			t.Errorf("the binary is not static: it needs %v", libs)
		}
	}
}

func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sum, file, ok := strings.Cut(sc.Text(), "  "); ok {
			sums[file] = sum
		}
	}
	return sums
}

// TestVersionOf: an embedded version wins; without one (go install), the
// module version Go recorded, which a test binary has none of.
func TestVersionOf(t *testing.T) {
	t.Parallel()
	if got := versionOf("v1.2.3"); got != "v1.2.3" {
		t.Errorf("versionOf(v1.2.3) = %q", got)
	}
	if got := versionOf("dev"); got != "dev" {
		t.Errorf("versionOf(dev) in a test binary = %q, want dev", got)
	}
}
