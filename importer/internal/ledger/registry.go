package ledger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
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
	// Workspace is the Topo the run writes to (base URL and workspace);
	// State the absolute path of its --state, if it kept one: a removal
	// against that Topo forgets the people it removes in every such state.
	Workspace string `json:"workspace,omitempty"`
	State     string `json:"state,omitempty"`
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
	return writeFileAtomically(r.name(fp)+".json", b)
}

// EntryTempPrefix names a registry entry being written.
const EntryTempPrefix = ".entry-"

// writeFileAtomically writes a small file through a new one beside it,
// synced, and a rename.
func writeFileAtomically(path string, b []byte) error {
	tmp, err := CreateTemp(filepath.Dir(path), EntryTempPrefix+"*")
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

// StatesFor lists the state files (absolute paths) that runs recorded in
// the registry at dir kept against workspace, each once.
func StatesFor(dir, workspace string) []string {
	if dir == "" {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var out []string
	for _, name := range names {
		b, err := readFile(name)
		if err != nil {
			continue
		}
		var e runEntry
		if json.Unmarshal(b, &e) == nil && e.State != "" && e.Workspace == workspace && !slices.Contains(out, e.State) {
			out = append(out, e.State)
		}
	}
	slices.Sort(out)
	return out
}

// removal is the registry's note of the last removal against a Topo.
type removal struct {
	Workspace string    `json:"workspace"`
	At        time.Time `json:"at"`
}

func (r *registry) removalPath(workspace string) string {
	return filepath.Join(r.dir, "removal-"+strings.TrimPrefix(hash(workspace), "sha256:")[:32]+".json")
}

// NoteRemoval records, in the registry at dir, that a removal against
// workspace is under way at at: a completed import of the same list is
// then no longer taken as done (what it settled may have been removed).
func NoteRemoval(dir, workspace string, at time.Time) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	r := &registry{dir: dir}
	b, err := json.Marshal(removal{Workspace: workspace, At: at.UTC()})
	if err != nil {
		return err
	}
	return writeFileAtomically(r.removalPath(workspace), b)
}

// removedSince says whether a removal against workspace was noted at or
// after when (RFC 3339).
func (r *registry) removedSince(workspace, when string) bool {
	if r == nil {
		return false
	}
	done, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return false
	}
	b, err := readFile(r.removalPath(workspace))
	if err != nil {
		return false
	}
	var rm removal
	return json.Unmarshal(b, &rm) == nil && rm.Workspace == workspace && !rm.At.Truncate(time.Second).Before(done)
}
