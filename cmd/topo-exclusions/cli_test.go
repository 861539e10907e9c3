package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLineConventions: what gh and kubectl users expect of the
// command line, in process.
func TestCommandLineConventions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // each must contain this
	}{
		{"help for a command", []string{"help", "import"}, 0, "topo-exclusions import [flags] FILE", ""},
		{"help flags grouped, long form", []string{"import", "--help"}, 0, "Pacing flags:\n      --concurrency auto|N", ""},
		{"version flag", []string{"--version"}, 0, "topo-exclusions ", ""},
		{"help of version", []string{"version", "--help"}, 0, "Usage:", ""},
		{"bash completion", []string{"completion", "bash"}, 0, "bash completion", ""},
		{"zsh completion", []string{"completion", "zsh"}, 0, "#compdef topo-exclusions", ""},
		{"fish completion", []string{"completion", "fish"}, 0, "complete -c topo-exclusions", ""},
		{"powershell completion", []string{"completion", "powershell"}, 0, "Register-ArgumentCompleter", ""},
		{"typo of validate", []string{"valdate", "x.csv"}, 2, "", "Did you mean this?\n\tvalidate"},
		{"typo of import", []string{"improt", "x.csv"}, 2, "", "Did you mean this?\n\timport"},
		{"mock-server without its dash", []string{"mockserver"}, 2, "", "Did you mean this?\n\tmock-server"},
		{"unknown flag", []string{"import", "--bogus", "x.csv"}, 2, "", "unknown flag: --bogus (see 'topo-exclusions import --help')"},
		{"kind people", []string{"import", "--kind", "people", "x.csv"}, 2, "", `"people" for "--kind" flag: want one of auto, contacts, accounts`},
		{"existing bogus", []string{"import", "--existing", "bogus", "x.csv"}, 2, "", "want one of extend, keep, replace"},
		{"snapshot sometimes", []string{"import", "--snapshot", "sometimes", "x.csv"}, 2, "", "want one of auto, always, never"},
		{"export format xml", []string{"export", "--format", "xml"}, 2, "", "want one of csv, jsonl"},
		{"log format xml", []string{"validate", "--log-format", "xml", "x.csv"}, 2, "", "want one of text, json"},
		{"rate NaN", []string{"import", "--rate", "NaN", "x.csv"}, 2, "", `"NaN" for "--rate" flag`},
		{"rate Inf", []string{"import", "--rate", "Inf", "x.csv"}, 2, "", `"Inf" for "--rate" flag`},
		{"rate negative", []string{"import", "--rate", "-5", "x.csv"}, 2, "", `"-5" for "--rate" flag`},
		{"grace negative", []string{"import", "--grace", "-1s", "x.csv"}, 2, "", `"-1s" for "--grace" flag: want a duration above zero`},
		{"give-up-after negative", []string{"import", "--give-up-after", "-1s", "x.csv"}, 2, "", `"-1s" for "--give-up-after" flag: want a duration, such as 20s or 10m, or 0 for never`},
		{"timeout zero", []string{"import", "--timeout", "0s", "x.csv"}, 2, "", `"0s" for "--timeout" flag`},
		{"concurrency zero", []string{"import", "--concurrency", "0", "x.csv"}, 2, "", `"0" for "--concurrency" flag`},
		{"burst fraction", []string{"import", "--burst", "1.5", "x.csv"}, 2, "", `"1.5" for "--burst" flag`},
		{"two outputs on stdout", []string{"validate", "--report", "-", "--summary", "-", "x.csv"}, 2, "", "at most one output may"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runBinaryEnv(t, t.TempDir(), "", nil, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, tt.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stdout, tt.stdout) || !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("want stdout with %q and stderr with %q\nstdout: %s\nstderr: %s", tt.stdout, tt.stderr, res.stdout, res.stderr)
			}
			if tt.code == 2 {
				if res.stdout != "" && !strings.HasPrefix(res.stdout, "{") { // a summary asked for on stdout
					t.Errorf("a usage error wrote to standard output:\n%s", res.stdout)
				}
				if lines := strings.Count(strings.TrimSpace(res.stderr), "\n"); lines > 0 && !strings.Contains(tt.stderr, "Did you mean") {
					t.Errorf("a usage error takes %d lines:\n%s", lines+1, res.stderr)
				}
			}
		})
	}
}

// TestUsageErrorsAreJSONWhenAsked: a scheduler reading JSON lines gets
// its flag errors as JSON too, though the flags did not parse.
func TestUsageErrorsAreJSONWhenAsked(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"import", "--log-format", "json", "--rate", "abc", "x.csv"},
		{"validate", "--log-format=json", "--bogus", "x.csv"},
		{"valdate", "--log-format", "json", "x.csv"},
		{"import", "--log-format", "json", "x.csv"}, // no key: a setup error
	} {
		res := runBinaryEnv(t, t.TempDir(), "", nil, args...)
		if res.code != 2 {
			t.Errorf("%v: exit %d", args, res.code)
		}
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		for _, line := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Errorf("%v: not a JSON line: %q", args, line)
			} else if msg, _ := m["msg"].(string); m["level"] != "ERROR" || msg == "" {
				t.Errorf("%v: %v", args, m)
			}
		}
		if len(lines) != 1 {
			t.Errorf("%v: %d lines on stderr, want 1:\n%s", args, len(lines), res.stderr)
		}
	}
}

// TestManPages: make man writes a page per command.
func TestManPages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := runBinaryEnv(t, "", "", nil, "gen-man", dir)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, page := range []string{"topo-exclusions.1", "topo-exclusions-import.1", "topo-exclusions-export.1", "topo-exclusions-remove.1", "topo-exclusions-validate.1"} {
		raw, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(raw), ".TH \"TOPO-EXCLUSIONS\"") || !strings.Contains(string(raw), ".SH OPTIONS") {
			t.Errorf("%s is not a man page with the flags:\n%.300s", page, raw)
		}
	}
}
