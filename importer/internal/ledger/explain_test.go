package ledger

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWhyAside: a journal set aside says exactly what differs from the
// run that finds it: the input's bytes, each setting from what to what,
// or, for a journal that did not note its settings, that they differ.
func TestWhyAside(t *testing.T) {
	shown := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	base := Fingerprint{Input: "sha256:aaaaaaaaaaaaaaaaaaaa", Settings: "s1", Shown: shown("--existing", "extend", "--map", "")}
	for _, tc := range []struct {
		name string
		was  Fingerprint
		now  Fingerprint
		want []string
	}{
		{"the same", base, base, nil},
		{"the input", base, Fingerprint{Input: "sha256:bbbbbbbbbbbbbbbbbbbb", Settings: "s1", Shown: base.Shown},
			[]string{"the input's bytes changed (SHA-256 aaaaaaaaaaaa…, now bbbbbbbbbbbb…)"}},
		{"two settings", base, Fingerprint{Input: base.Input, Settings: "s2", Shown: shown("--existing", "keep", "--map", "email=Work Email")},
			[]string{`--existing was extend, now keep`, `--map was (none), now "email=Work Email"`}},
		{"a setting gone", base, Fingerprint{Input: base.Input, Settings: "s2", Shown: shown("--existing", "extend")},
			[]string{"its settings differ"}},
		{"an old journal", Fingerprint{Input: base.Input, Settings: "s0"}, base,
			[]string{"its settings differ (the journal was written by an earlier version, which did not note which)"}},
	} {
		got := whyAside(tc.was, tc.now)
		if (got == "") != (len(tc.want) == 0) {
			t.Errorf("%s: %q", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
	}
	// Shown goes into the journal's header and comes back.
	path := filepath.Join(t.TempDir(), "l.journal")
	j, _ := openJournal(t, path, base, false)
	j.Close()
	now := Fingerprint{Input: base.Input, Settings: "s2", Shown: shown("--existing", "keep", "--map", "")}
	j, st := openJournal(t, path, now, false)
	defer j.Close()
	if st != JournalOther || j.SetAside() != "--existing was extend, now keep" {
		t.Errorf("state %v, set aside because %q", st, j.SetAside())
	}
}
