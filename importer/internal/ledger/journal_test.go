package ledger

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// intend notes that row n may be created now, and waits until it is durable.
func intend(j *Journal, n int) error {
	return j.Intend(pipeline.Intent{Row: n, Op: api.OpCreate, At: time.Now()})()
}

var fpA = Fingerprint{Input: "sha256:a", Settings: "sha256:s"}

func openJournal(t *testing.T, path string, fp Fingerprint, force bool) (*Journal, JournalState) {
	t.Helper()
	j, st, err := OpenJournal(path, fp, force, Durability{})
	if err != nil {
		t.Fatal(err)
	}
	return j, st
}

func TestJournalResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, st := openJournal(t, path, fpA, false)
	if st != JournalNew {
		t.Fatalf("state %v, want new", st)
	}
	var wg sync.WaitGroup
	for n := 2; n < 12; n++ {
		wg.Go(func() {
			if err := intend(j, n); err != nil {
				t.Error(err)
			}
			if n%2 == 0 { // odd rows were in flight when the run died
				j.Record(rows.Outcome{Row: rows.Row{Num: n}, Status: rows.StatusCreated, ID: "id", HTTPStatus: 201, Attempts: 1})
			}
		})
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, st = openJournal(t, path, fpA, false)
	defer j.Close()
	if st != JournalResumed {
		t.Fatalf("state %v, want resumed", st)
	}
	if settled, unsure := j.Resumed(); settled != 5 || unsure != 5 {
		t.Errorf("settled %d, unsure %d; want 5 and 5", settled, unsure)
	}
	if o, ok := j.Settled(4); !ok || o.Status != rows.StatusCreated || o.ID != "id" || o.Attempts != 1 {
		t.Errorf("row 4: %+v %v", o, ok)
	}
	if !j.Prior(5).MaybeSent || j.Prior(4).MaybeSent || j.Prior(99).MaybeSent {
		t.Error("unsure rows wrong")
	}
}

func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	intend(j, 2)
	j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusExists, ID: "x"})
	intend(j, 3)
	j.Close()
	// A crash mid-write: a line cut short, and a garbage line before it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"o\":3,\"s\":\"crea\x00\x00\n{\"o\":3,\"s\":\"created\",\"id\":\"y")
	f.Close()

	j, st := openJournal(t, path, fpA, false)
	if st != JournalResumed || j.Corrupt() != 1 {
		t.Fatalf("state %v, corrupt %d", st, j.Corrupt())
	}
	if _, ok := j.Settled(3); ok || !j.Prior(3).MaybeSent {
		t.Error("row 3's torn outcome was taken as settled")
	}
	intend(j, 4) // appends after the cut, on a line of its own
	j.Close()
	data, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"); !strings.HasPrefix(lines[len(lines)-1], `{"i":4,`) {
		t.Errorf("journal tail %q", data[max(0, len(data)-40):])
	}
	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	if !j.Prior(4).MaybeSent || !j.Prior(3).MaybeSent {
		t.Error("rows 3 and 4 should be unsure after reopening")
	}
}

func TestJournalOtherInputAndCompletion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	intend(j, 2)
	j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusCreated})
	j.Close()

	fpB := Fingerprint{Input: "sha256:b", Settings: fpA.Settings}
	j, st := openJournal(t, path, fpB, false)
	if _, ok := j.Settled(2); st != JournalOther || ok {
		t.Fatalf("another input's journal was applied (state %v)", st)
	}
	if _, err := os.Stat(path + ".prev"); err != nil {
		t.Errorf("the old journal was not kept aside: %v", err)
	}
	j.Complete(Completion{Report: "list.report.csv", Failures: "list.failures.csv", NeedAction: 2})
	j.Close()

	j, st = openJournal(t, path, fpB, false)
	if c := j.Completed(); st != JournalCompleted || c.When == "" || c.Report != "list.report.csv" || c.NeedAction != 2 {
		t.Errorf("state %v, completed %+v", st, c)
	}
	j.Close()
	j, st = openJournal(t, path, fpB, true)
	defer j.Close()
	if st != JournalOther {
		t.Errorf("--force on a completed journal: state %v, want a fresh start", st)
	}
}

func TestJournalRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(path, []byte("my notes\n"), 0o644)
	if _, _, err := OpenJournal(path, fpA, false, Durability{}); err == nil {
		t.Error("a file that is not a journal was taken for one")
	}
}

func TestStateSurvivesATornWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cron.state")
	s, err := OpenState(path, "ws", Durability{})
	if err != nil {
		t.Fatal(err)
	}
	a := rows.Row{Norm: rows.Fields{Email: "a@x.co"}}
	b := rows.Row{Norm: rows.Fields{Email: "b@x.co", LinkedInURL: "https://www.linkedin.com/in/b"}}
	s.Add(a)
	s.Add(b)
	s.Add(a) // known already: not written twice
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Size() != stateHeader+3*8 {
		t.Fatalf("state is %d bytes, want header and 3 keys", st.Size())
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{1, 2, 3}) // the crash: a partial record
	f.Close()

	s, err = OpenState(path, "ws", Durability{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || !s.Has(a) || !s.Has(rows.Row{Norm: rows.Fields{LinkedInURL: "https://www.linkedin.com/in/b"}}) || s.Has(rows.Row{Norm: rows.Fields{Email: "c@x.co"}}) {
		t.Errorf("after a torn write: %d keys", s.Len())
	}
	s.Add(rows.Row{Norm: rows.Fields{Email: "c@x.co"}})
	s.Close()
	st, _ = os.Stat(path)
	if st.Size() != stateHeader+4*8 {
		t.Errorf("the partial record was not dropped: %d bytes", st.Size())
	}
	os.WriteFile(path, []byte("not a state file"), 0o644)
	if _, err := OpenState(path, "ws", Durability{}); err == nil {
		t.Error("a foreign file was taken for state")
	}
}

// TestStateBelongsToOneWorkspace: a state kept against one workspace is
// refused by another (it says nothing of that Topo's people); a file of
// the first format is adopted by the first to open it, keys and all.
func TestStateBelongsToOneWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "cron.state")
	a := rows.Row{Norm: rows.Fields{Email: "a@x.co"}}
	s, err := OpenState(path, "https://api.topo.io org_A", Durability{})
	if err != nil {
		t.Fatal(err)
	}
	s.Add(a)
	s.Close()
	var ws *WorkspaceError
	if _, err := OpenState(path, "https://api.topo.io org_B", Durability{}); !errors.As(err, &ws) {
		t.Errorf("another workspace opened the state: %v", err)
	}
	old := filepath.Join(dir, "v1.state")
	v1 := append(append([]byte{}, stateMagicV1[:]...), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint64(v1[16:], stateHash("a@x.co"))
	os.WriteFile(old, v1, 0o644)
	s, err = OpenState(old, "https://api.topo.io org_A", Durability{})
	if err != nil || !s.Has(a) {
		t.Fatalf("a first-format state: %v, has a@x.co %v", err, err == nil && s.Has(a))
	}
	s.Close()
	if _, err := OpenState(old, "https://api.topo.io org_B", Durability{}); !errors.As(err, &ws) {
		t.Errorf("the adopted state opened for another workspace: %v", err)
	}
}

// TestStateForgetsARemovedPerson: a removal is written into the state; the
// person listed again is not known; and known again once re-imported.
func TestStateForgetsARemovedPerson(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cron.state")
	a := rows.Row{Norm: rows.Fields{Email: "a@x.co"}}
	b := rows.Row{Norm: rows.Fields{Email: "b@x.co"}}
	s, _ := OpenState(path, "ws", Durability{})
	s.Remember(rows.Outcome{Row: a, Status: rows.StatusCreated})
	s.Remember(rows.Outcome{Row: b, Status: rows.StatusExists})
	s.Remember(rows.Outcome{Row: a, Status: rows.StatusRemoved})
	s.Close()
	s, _ = OpenState(path, "ws", Durability{})
	if s.Has(a) || !s.Has(b) {
		t.Errorf("after the removal: a known %v, b known %v; want false, true", s.Has(a), s.Has(b))
	}
	s.Remember(rows.Outcome{Row: a, Status: rows.StatusCreated}) // opted out again
	s.Close()
	s, _ = OpenState(path, "ws", Durability{})
	defer s.Close()
	if !s.Has(a) {
		t.Error("a person re-imported after a removal is not known")
	}
}

func TestLockIsExclusiveAndReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := TryLock(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = TryLock(path, "test")
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() || locked.Path != path {
		t.Fatalf("second lock: %v", err)
	}
	l.Unlock()
	l2, err := TryLock(path, "test")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	l2.Unlock()
}

// TestJournalKeepsTheFirstCreateTime: a resumed run notes an unsettled row
// again before it is sent; after a second kill, the row's create went out
// no earlier than the first note, which is the time that counts.
func TestJournalKeepsTheFirstCreateTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	first := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	j.Intend(pipeline.Intent{Row: 2, Op: api.OpCreate, At: first})()
	j.Intend(pipeline.Intent{Row: 2, Op: api.OpCreate, At: time.Now()})()
	j.Intend(pipeline.Intent{Row: 2, Op: api.OpUpdate, ID: "rec", At: time.Now(), Previous: &rows.Previous{Reason: "OTHER"}})()
	j.Close()
	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	p := j.Prior(2)
	if !p.MaybeSent || !p.At.Equal(first) || p.Op != api.OpUpdate || p.ID != "rec" || p.Previous == nil || p.Previous.Reason != "OTHER" {
		t.Errorf("prior %+v, want the first create's time and the last intent's update", p)
	}
}

// TestJournalUnreadableLinesMakeRowsMaybeSent: a line overwritten with junk
// may have been any row's intent, so every row without a recorded outcome
// is looked up before it is sent; settled rows stay settled.
func TestJournalUnreadableLinesMakeRowsMaybeSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	for n := 2; n < 6; n++ {
		intend(j, n)
	}
	j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusCreated, ID: "a"})
	j.Close()
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[3] = strings.Repeat("#", len(lines[3])-1) + "\n" // the intent of row 4
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)

	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	if j.Corrupt() != 1 {
		t.Fatalf("%d unreadable lines, want 1", j.Corrupt())
	}
	if _, ok := j.Settled(2); !ok || j.Prior(2).MaybeSent {
		t.Error("row 2's outcome was lost")
	}
	for _, n := range []int{3, 4, 5, 99} {
		if !j.Prior(n).MaybeSent {
			t.Errorf("row %d is not maybe sent after an unreadable line", n)
		}
	}
}

// TestSymlinksAreNeverFollowed: a journal, state or lock path that is a
// symbolic link is refused, and its target is left as it was.
func TestSymlinksAreNeverFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious.txt")
	os.WriteFile(target, []byte("keep me\n"), 0o644)
	for _, name := range []string{"list.journal", "cron.state", "list.journal.lock"} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		var err error
		switch name {
		case "list.journal":
			_, _, err = OpenJournal(link, fpA, false, Durability{})
		case "cron.state":
			_, err = OpenState(link, "ws", Durability{})
		default:
			_, err = TryLock(link, "test")
		}
		var sl *SymlinkError
		if !errors.As(err, &sl) || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: %v, want a SymlinkError", name, err)
		}
		if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
			t.Fatalf("%s: the link's target was changed: %q", name, b)
		}
	}
}
