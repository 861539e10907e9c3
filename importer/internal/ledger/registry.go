package ledger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// registry is the user's record of runs by fingerprint: one small JSON
// file and one lock per input-and-target, in the user's state directory.
// It is what keeps two runs of the same bytes against the same Topo from
// both sending, whatever paths their journals and reports have.
type registry struct {
	dir  string
	prev *runEntry // what the entry said before this run wrote it
}

// runEntry is what the registry knows of one fingerprint.
type runEntry struct {
	// Journal is the absolute path of the run's journal; Report, of its
	// report (which a dry run must not overwrite).
	Journal string `json:"journal"`
	Report  string `json:"report,omitempty"`
	Started string `json:"started,omitempty"`
	// Completed is set once a run went to the end.
	Completed *Completion `json:"completed,omitempty"`
}

func (r *registry) name(fp Fingerprint) string {
	sum := hash(fp.Input + "\x1f" + fp.Settings)
	return filepath.Join(r.dir, strings.TrimPrefix(sum, "sha256:")[:32])
}

func (r *registry) lockPath(fp Fingerprint) string { return r.name(fp) + ".lock" }

func (r *registry) read(fp Fingerprint) *runEntry {
	b, err := readFile(r.name(fp) + ".json")
	if err != nil {
		return nil
	}
	var e runEntry
	if json.Unmarshal(b, &e) != nil || e.Journal == "" {
		return nil
	}
	r.prev = &e
	return &e
}

// write replaces the entry through a new file and a rename, so a crash
// leaves the old entry or the new one, never half of either.
func (r *registry) write(fp Fingerprint, e runEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	path := r.name(fp) + ".json"
	tmp, err := os.CreateTemp(r.dir, ".entry-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// remove forgets a run that sent nothing, restoring what was there before.
func (r *registry) remove(fp Fingerprint) {
	if r.prev != nil {
		_ = r.write(fp, *r.prev)
		return
	}
	_ = os.Remove(r.name(fp) + ".json")
}

// WroteReport says whether a run recorded in the registry at dir (an
// import or a removal, under way or done) writes its report at path, and
// which journal it keeps. A dry run never overwrites such a report.
func WroteReport(dir, path string) (journal string, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil || dir == "" {
		return "", false
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, name := range names {
		b, err := readFile(name)
		if err != nil {
			continue
		}
		var e runEntry
		if json.Unmarshal(b, &e) == nil && e.Report == abs {
			return e.Journal, true
		}
	}
	return "", false
}
