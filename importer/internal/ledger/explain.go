package ledger

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Same says whether two fingerprints name one run: the same input bytes
// and the same settings. Shown only explains them.
func (fp Fingerprint) Same(other Fingerprint) bool {
	return fp.Input == other.Input && fp.Settings == other.Settings
}

// whyAside says why a journal of was is set aside for a run of now:
// exactly what differs (the input's bytes, which setting, from what to
// what); "" when nothing does (a forced rerun, which the caller explains).
func whyAside(was, now Fingerprint) string {
	var diffs []string
	if was.Input != now.Input {
		diffs = append(diffs, fmt.Sprintf("the input's bytes changed (SHA-256 %s, now %s)", short(was.Input), short(now.Input)))
	}
	if was.Settings != now.Settings {
		named := len(diffs)
		keys := slices.Sorted(maps.Keys(now.Shown))
		for k := range was.Shown {
			if _, ok := now.Shown[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			if a, b := was.Shown[k], now.Shown[k]; a != b && was.Shown != nil {
				diffs = append(diffs, fmt.Sprintf("%s was %s, now %s", k, orNone(a), orNone(b)))
			}
		}
		switch {
		case len(diffs) > named:
		case was.Shown == nil:
			diffs = append(diffs, "its settings differ (the journal was written by an earlier version, which did not note which)")
		default:
			diffs = append(diffs, "its settings differ")
		}
	}
	return strings.Join(diffs, "; ")
}

func short(sum string) string {
	sum = strings.TrimPrefix(sum, "sha256:")
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	if strings.ContainsAny(s, " ,;\t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
