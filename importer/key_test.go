package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	env := func(k string) string {
		if k == "TOPO_API_KEY" {
			return "  tk_from_env\n"
		}
		return ""
	}
	none := func(string) string { return "" }
	tests := []struct {
		name        string
		file        string
		getenv      func(string) string
		key, warned string // warned: the warning contains it ("" none)
		usage       string // a usage error containing it
	}{
		{"from the environment, trimmed", "", env, "tk_from_env", "", ""},
		{"no key anywhere", "", none, "", "", "no API key: set TOPO_API_KEY or pass --token-file PATH"},
		{"private token file", write("private", "tk_file\n", 0o600), none, "tk_file", "", ""},
		{"token file others can read", write("shared", "tk_file\n", 0o644), none, "tk_file", "can be read by others (mode 0644): chmod 600", ""},
		{"the file wins over the environment", write("wins", "tk_file", 0o600), env, "tk_file", "", ""},
		{"two lines", write("two", "a\nb\n", 0o600), none, "", "", "want one key on one line"},
		{"empty", write("empty", "\n", 0o600), none, "", "", "want one key on one line"},
		{"missing", filepath.Join(dir, "nope"), none, "", "", "--token-file"},
		{"a folder", dir, none, "", "", "is a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, warning, err := loadKey(tt.file, tt.file, tt.getenv)
			var usage *UsageError
			switch {
			case tt.usage != "":
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.usage) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.usage)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if key != tt.key {
				t.Errorf("key %q, want %q", key, tt.key)
			}
			if tt.warned == "" && warning != "" || !strings.Contains(warning, tt.warned) {
				t.Errorf("warning %q, want one with %q", warning, tt.warned)
			}
			if strings.Contains(warning, key) {
				t.Errorf("the warning holds the key: %q", warning)
			}
		})
	}
}
